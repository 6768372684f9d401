//! Reliability end to end: a worker that panics or runs out of memory is replaced, the lab keeps
//! what the student typed and answers again; a fine-tuning run cut off by a crash or by a reload
//! resumes from its last save instead of starting over; a pasted megabyte does not freeze the page.

use std::time::{Duration, Instant};

use super::widgets::{texts, type_into, wait_widget};
use super::{click, Ctx, Outcome};

/// What the status line says once the run is saved for resuming.
const SAVED: &str = "saved in this browser at update ";

/// The number after `marker` in `text`.
fn number_after(text: &str, marker: &str) -> Option<usize> {
    let rest = &text[text.find(marker)? + marker.len()..];
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// Types `sentence` and waits for guesses other than `shown` (the widget's guesses before).
async fn guesses_change(
    ctx: &Ctx<'_>,
    sentence: &str,
    shown: &[String],
) -> Result<Vec<String>, String> {
    type_into(ctx, "#fm-text", sentence).await?;
    let started = Instant::now();
    // While the keys go in, the text has no [MASK] yet and the widget says so: only the end counts.
    loop {
        let now = texts(ctx, "table.guesses th").await?;
        if !now.is_empty() && now != shown && !ctx.has("main .error").await {
            return Ok(now);
        }
        if started.elapsed() > Duration::from_secs(60) {
            let error = texts(ctx, "main .error").await?;
            return Err(format!(
                "the guesses for {sentence:?} never came: {now:?} {error:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn crash(ctx: &Ctx<'_>, out_of_memory: bool, says: &str) -> Outcome {
    ctx.js(&format!("window.bertlabCrashWorker({out_of_memory})"))
        .await?;
    ctx.wait_text(".status-bar", |t| t.contains("idle") && t.contains(says))
        .await
        .map(|_| ())
}

/// A panic and an out-of-memory abort each restart the worker with a message in plain words; the
/// sentence stays, and the new worker predicts.
pub async fn worker_crashes(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    let (first, second) = (
        "We planted [MASK] in the garden.",
        "She drank a glass of [MASK].",
    );
    let before = texts(ctx, "table.guesses th").await?;
    let answers = guesses_change(ctx, first, &before).await?;
    for (out_of_memory, says) in [
        (false, "the page asked the worker to stop"),
        (true, "ran out of memory"),
    ] {
        crash(ctx, out_of_memory, says).await?;
        let kept = ctx
            .js("return document.querySelector('#fm-text').value")
            .await?;
        if kept.as_str() != Some(first) {
            return Err(format!("after the crash the sentence reads {kept}"));
        }
        // The new worker answers, and for the first sentence exactly as the old one did.
        let other = guesses_change(ctx, second, &answers).await?;
        let again = guesses_change(ctx, first, &other).await?;
        if again != answers {
            return Err(format!(
                "after the restart {first:?} gets {again:?}, before {answers:?}"
            ));
        }
    }
    ctx.screenshot("recovered_after_crashes").await
}

/// The update a saved run was saved at, once the status line says it was.
async fn wait_saved_update(ctx: &Ctx<'_>, after: usize) -> Result<usize, String> {
    let text = ctx
        .wait_text_for("#ft-status", Duration::from_secs(120), |t| {
            number_after(t, SAVED).is_some_and(|n| n > after)
        })
        .await?;
    number_after(&text, SAVED).ok_or(text)
}

/// The resume offer's saved update, then continue the run and see it start past that update.
async fn resume_offered_run(ctx: &Ctx<'_>, saved: usize) -> Outcome {
    let offer = ctx
        .wait_text(".interrupted-run p", |t| {
            t.contains("stopped before it finished")
        })
        .await?;
    if number_after(&offer, "saved at update ") != Some(saved) {
        return Err(format!("the offer does not name update {saved}: {offer:?}"));
    }
    click(ctx, ".interrupted-run .resume-saved").await?;
    // Past the saved update, and saved at it: a run that started over has no save that far.
    ctx.wait_text("#ft-status", |t| {
        number_after(t, "update ").is_some_and(|n| n > saved)
            && number_after(t, SAVED).is_some_and(|n| n >= saved)
    })
    .await
    .map(|_| ())
}

/// A full fine-tune saves itself while it trains; a crash, then a reload, each cut it off, and
/// each time the lab offers to resume from the saved update; stopped by the student, it ends in a
/// sheet row and leaves nothing to resume.
pub async fn interrupted_run_resumes(ctx: &Ctx<'_>) -> Outcome {
    // Long enough that a fast machine is still training at the second save (one per 15 s): the
    // check stops the run itself.
    let lab = "/labs/fine-tune?approach=full&examples=256&epochs=50&model=recipe-bert";
    ctx.open(lab).await?;
    wait_widget(ctx, "table.sheet").await?;
    let rows_before = texts(ctx, "table.sheet tbody tr").await?.len();
    click(ctx, "#ft-run").await?;
    let first_save = wait_saved_update(ctx, 0).await?;
    crash(ctx, false, "the page asked the worker to stop").await?;
    ctx.wait_text("#ft-status", |t| t.contains("the compute worker stopped"))
        .await?;
    resume_offered_run(ctx, first_save).await?;
    ctx.screenshot("resumed_after_a_crash").await?;

    let second_save = wait_saved_update(ctx, first_save).await?;
    ctx.open(lab).await?;
    resume_offered_run(ctx, second_save).await?;
    click(ctx, "#ft-stop").await?;
    let started = Instant::now();
    while texts(ctx, "table.sheet tbody tr").await?.len() <= rows_before {
        if started.elapsed() > Duration::from_secs(120) {
            return Err("the resumed run never reached the sheet".into());
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    ctx.open(lab).await?;
    wait_widget(ctx, "table.sheet").await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    if ctx.has(".interrupted-run").await {
        return Err("a finished run is still offered for resuming".into());
    }
    Ok(())
}

/// The saved update of each pretraining lane, once both status lines name one past `after`.
async fn pretrain_saves(ctx: &Ctx<'_>, after: [usize; 2]) -> Result<[usize; 2], String> {
    let started = Instant::now();
    loop {
        let lines = texts(ctx, ".pt-summary").await?;
        let saved: Vec<usize> = lines
            .iter()
            .filter_map(|l| number_after(l, SAVED))
            .collect();
        if let [a, b] = saved[..] {
            if a > after[0] && b > after[1] {
                return Ok([a, b]);
            }
        }
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "the two runs were not saved past {after:?}: {lines:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

/// Both recipes of the pretraining lab save themselves; after a reload the lab offers them, and
/// resumed, each continues past its own saved update.
pub async fn interrupted_pretraining_resumes(ctx: &Ctx<'_>) -> Outcome {
    let lab = "/labs/pretrain?steps=2000&a_objective=sop";
    ctx.open(lab).await?;
    ctx.wait_text("#pt-run", |t| t.contains("Train both"))
        .await?;
    click(ctx, "#pt-run").await?;
    let saved = pretrain_saves(ctx, [0, 0]).await?;
    ctx.open(lab).await?;
    let offer = ctx
        .wait_text(".interrupted-run p", |t| t.contains("stopped before"))
        .await?;
    if !(offer.contains("recipe A") && offer.contains("recipe B")) {
        return Err(format!("the offer does not name both recipes: {offer:?}"));
    }
    click(ctx, ".interrupted-run .resume-saved").await?;
    let started = Instant::now();
    loop {
        let lines = texts(ctx, ".pt-summary").await?;
        let past = lines.iter().zip(saved).all(|(line, saved)| {
            number_after(line, "update ").is_some_and(|n| n > saved)
                && number_after(line, SAVED).is_some_and(|n| n >= saved)
        });
        if past && lines.len() == 2 {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            return Err(format!(
                "the resumed runs did not go on from {saved:?}: {lines:?}"
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    ctx.screenshot("pretraining_resumed").await?;
    click(ctx, "#pt-stop").await?;
    ctx.wait_text_for(".pt-status", Duration::from_secs(120), |t| {
        t.matches("done after").count() == 2
    })
    .await
    .map(|_| ())
}

/// A megabyte pasted into the fill-mask box: the page's main thread never stalls for long, the
/// model reads the start with a note saying the rest was cut, the word buttons stay few, and the
/// link stays short.
pub async fn megabyte_paste(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    let pasted = ctx
        .js(r#"
            const box = document.querySelector('#fm-text');
            const text = 'The [MASK] sat on the mat. ' + 'It was a sunny day in the small town. '.repeat(27000);
            // The longest wait of a 50 ms timer from now on: how long the main thread was busy.
            window.pasteStall = 0;
            let last = performance.now();
            window.pasteTimer = setInterval(() => {
                const now = performance.now();
                pasteStall = Math.max(pasteStall, now - last - 50);
                last = now;
            }, 50);
            box.value = text;
            box.dispatchEvent(new Event('input', { bubbles: true }));
            return text.length;
        "#)
        .await?;
    if pasted.as_u64().unwrap_or(0) < 1_000_000 {
        return Err(format!("pasted only {pasted} characters"));
    }
    ctx.wait_text_for(".cut-note", Duration::from_secs(60), |t| {
        t.contains("cut off the end")
    })
    .await?;
    wait_widget(ctx, "table.guesses").await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let report = ctx
        .js("clearInterval(pasteTimer); return [pasteStall, location.href.length, document.querySelectorAll('.word-picker button').length]")
        .await?;
    let numbers: Vec<f64> = serde_json::from_value(report.clone()).map_err(|e| e.to_string())?;
    println!(
        "megabyte paste: the main thread's longest stall {:.0} ms",
        numbers[0]
    );
    // A frozen page (a button per word, a megabyte link) stalls for many seconds.
    if numbers[0] > 3_000.0 || numbers[1] > 10_000.0 || numbers[2] > 100.0 {
        return Err(format!(
            "stall {:.0} ms, link of {} characters, {} word buttons",
            numbers[0], numbers[1], numbers[2]
        ));
    }
    ctx.screenshot("megabyte_paste").await
}
