//! A lesson step's task done as a student does it: every control is found inside the step's widget
//! by the words a student reads (a label, a button's words, a word on screen), then typed into,
//! chosen, ticked or clicked through WebDriver; the widget must react. No CSS selector of the
//! lab's markup is used, so a task whose words the widget does not show fails here.

use std::time::{Duration, Instant};

use bertlab_app::lessons::{Action, Step};
use fantoccini::elements::Element;
use fantoccini::Locator;
use serde_json::Value;

use super::{Ctx, Outcome};

/// How long a widget may take to react: a training run in a lesson step takes a while.
const REACTION: Duration = Duration::from_secs(300);

/// The step's widget.
const WIDGET: &str = "section.step-widget";

/// Finds the element an action names and marks it `data-task-target`. `kind` is set, press or
/// click; `words` may scope the search with "Part › words" (a fieldset or section whose words
/// start with "Part", as a student reads "Recipe B's masking").
const FIND: &str = r#"
const [root, kind, words] = [document.querySelector(arguments[0]), arguments[1], arguments[2]];
const norm = s => (s || '').replace(/\s+/g, ' ').trim().toLowerCase();
const shown = e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden';
for (const e of document.querySelectorAll('[data-task-target]')) e.removeAttribute('data-task-target');
if (!root) return 'no widget';
let scope = root, want = norm(words);
if (want.includes(' › ')) {
  const [part, rest] = want.split(' › ');
  scope = [...root.querySelectorAll('fieldset, section, figure, div')]
    .find(e => norm((e.querySelector('legend, h3, h4, figcaption') || {}).textContent).startsWith(part));
  if (!scope) return `no part '${part}'`;
  want = rest;
}
let found = null;
if (kind === 'set') {
  for (const label of scope.querySelectorAll('label')) {
    // A slider's label may show its value in an <output>, which is labelable too and comes first.
    let control = label.control;
    if (!control || control.tagName === 'OUTPUT') control = label.querySelector('input, select, textarea');
    if (!control || !shown(control)) continue;
    const own = [...label.childNodes].filter(n => !(n === control || (n.contains && n.contains(control))))
      .map(n => n.textContent).join(' ');
    if (norm(own).startsWith(want)) { found = control; break; }
  }
} else if (kind === 'press') {
  const buttons = [...scope.querySelectorAll('button, input[type=submit], input[type=button]')].filter(shown);
  found = buttons.find(b => norm(b.textContent || b.value) === want)
    || buttons.find(b => norm(b.textContent || b.value).startsWith(want));
} else {
  const hits = [...scope.querySelectorAll('*')].filter(e => shown(e) && norm(e.textContent) === want);
  found = hits.find(e => ![...e.children].some(c => hits.includes(c))) || null;
}
if (!found) return `nothing to ${kind} called '${words}'`;
found.setAttribute('data-task-target', '');
// The page's fixed status bar covers the bottom of the window: bring the element to the middle.
found.scrollIntoView({block: 'center'});
return '';
"#;

/// Does `step`'s actions in its widget (already shown). Each `See` waits for its words; the
/// actions that act must change what the widget shows, unless a `See` after them checks it.
pub async fn do_task(ctx: &Ctx<'_>, step: &Step) -> Outcome {
    let mut before = widget_text(ctx).await?;
    let mut unchecked = None;
    for action in step.actions {
        match *action {
            Action::Set { label, value } => {
                set(ctx, &target(ctx, "set", label).await?, value)
                    .await
                    .map_err(|e| format!("set '{label}' to '{value}': {e}"))?;
                unchecked.get_or_insert(format!("setting '{label}'"));
            }
            Action::Press(words) => {
                let button = target(ctx, "press", words).await?;
                wait_enabled(&button, words).await?;
                button.click().await.map_err(|e| e.to_string())?;
                unchecked.get_or_insert(format!("pressing '{words}'"));
            }
            Action::Click(words) => {
                let element = target(ctx, "click", words).await?;
                element.click().await.map_err(|e| e.to_string())?;
                unchecked.get_or_insert(format!("clicking '{words}'"));
            }
            Action::See(words) => {
                wait_for(ctx, |text| contains_words(text, words))
                    .await
                    .map_err(|last| {
                        format!("the widget never shows '{words}'; it shows: {last}")
                    })?;
                unchecked = None;
                before = widget_text(ctx).await?;
            }
        }
    }
    if let Some(what) = unchecked {
        wait_for(ctx, |text| text != before)
            .await
            .map_err(|_| format!("the widget did not react to {what}"))?;
    }
    Ok(())
}

fn contains_words(text: &str, words: &str) -> bool {
    let norm = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    norm(text).contains(&norm(words))
}

async fn widget_text(ctx: &Ctx<'_>) -> Result<String, String> {
    let text = ctx
        .js(&format!(
            "return (document.querySelector({WIDGET:?}) || {{}}).innerText || ''"
        ))
        .await?;
    Ok(text.as_str().unwrap_or_default().to_string())
}

/// Polls the widget's text until `accept` holds; the last text seen on failure.
async fn wait_for(ctx: &Ctx<'_>, accept: impl Fn(&str) -> bool) -> Result<(), String> {
    let started = Instant::now();
    let mut last = String::new();
    while started.elapsed() < REACTION {
        last = widget_text(ctx).await?;
        if accept(&last) {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(last.chars().take(400).collect())
}

/// The element an action names (see [`FIND`]).
async fn target(ctx: &Ctx<'_>, kind: &str, words: &str) -> Result<Element, String> {
    let args = vec![WIDGET.into(), kind.into(), words.into()];
    let found = ctx
        .client
        .execute(FIND, args)
        .await
        .map_err(|e| format!("script failed: {e}"))?;
    match found {
        Value::String(s) if s.is_empty() => ctx
            .client
            .find(Locator::Css("[data-task-target]"))
            .await
            .map_err(|e| e.to_string()),
        other => Err(other.as_str().unwrap_or("not found").to_string()),
    }
}

async fn wait_enabled(button: &Element, words: &str) -> Outcome {
    let started = Instant::now();
    while started.elapsed() < REACTION {
        if button.is_enabled().await.map_err(|e| e.to_string())? {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Err(format!("'{words}' stayed disabled"))
}

/// Gives a control a value the way a student does: picks a list's option by its words, ticks or
/// unticks a box, moves a slider, or types into a field and leaves it (which commits the edit).
async fn set(ctx: &Ctx<'_>, control: &Element, value: &str) -> Outcome {
    let tag = control.tag_name().await.map_err(|e| e.to_string())?;
    let kind = control
        .attr("type")
        .await
        .map_err(|e| e.to_string())?
        .unwrap_or_default();
    match (tag.to_lowercase().as_str(), kind.as_str()) {
        ("select", _) => {
            let option = control
                .find_all(Locator::Css("option"))
                .await
                .map_err(|e| e.to_string())?;
            for o in option {
                if contains_words(&o.text().await.map_err(|e| e.to_string())?, value) {
                    return o.click().await.map_err(|e| e.to_string());
                }
            }
            Err(format!("no option '{value}'"))
        }
        ("input", "checkbox") => {
            let want = value == "on";
            if control.is_selected().await.map_err(|e| e.to_string())? != want {
                control.click().await.map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        // WebDriver cannot drag a slider to a value; the page reads it from input events.
        ("input", "range") => ctx
            .client
            .execute(
                "const [e, v] = arguments; e.value = v; \
                 e.dispatchEvent(new Event('input', {bubbles: true})); \
                 e.dispatchEvent(new Event('change', {bubbles: true}));",
                vec![
                    serde_json::to_value(control).map_err(|e| e.to_string())?,
                    value.into(),
                ],
            )
            .await
            .map(drop)
            .map_err(|e| e.to_string()),
        // Select what the field holds, delete it and type (Ctrl+A, Backspace, the text), then
        // Tab out of the field, as a student does, which commits the change.
        _ => control
            .send_keys(&format!("\u{E009}a\u{E000}\u{E003}{value}\u{E004}"))
            .await
            .map_err(|e| e.to_string()),
    }
}
