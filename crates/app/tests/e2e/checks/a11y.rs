//! Accessibility audit: axe-core (npm, installed by `make test` under .tools/) on every page, in both
//! themes for the home page; any serious or critical violation fails with its rule and elements.

use bertlab_app::catalog::Track;
use bertlab_app::lab_registry::LabId;
use serde_json::Value;

use super::{Ctx, Outcome};

const AXE: &str = concat!(
    concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
    "/.tools/node_modules/axe-core/axe.min.js"
);

fn pages() -> Vec<String> {
    let mut pages = vec![
        "/".to_string(),
        "/labs".into(),
        "/glossary".into(),
        "/beginner/why-bert-mattered?quiz=true".into(),
        "/system".into(),
        "/benchmark".into(),
    ];
    for track in Track::ALL {
        pages.push(format!("/{}", track.slug()));
        for lesson in track.lessons() {
            pages.push(format!("/{}/{}", track.slug(), lesson.slug));
        }
    }
    pages.extend(LabId::ALL.iter().map(|l| format!("/labs/{}", l.slug())));
    pages
}

/// Serious and critical violations on the current page, one line each.
async fn audit(ctx: &Ctx<'_>, axe: &str) -> Result<Vec<String>, String> {
    ctx.js(axe).await?;
    let result = ctx
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
                .then(r => done(r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                    .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
                .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .map_err(|e| format!("axe: {e}"))?;
    match result {
        Value::Array(items) => Ok(items
            .into_iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()),
        other => Err(format!("axe returned {other}")),
    }
}

pub async fn axe_on_every_page(ctx: &Ctx<'_>) -> Outcome {
    let axe = std::fs::read_to_string(AXE)
        .map_err(|e| format!("{AXE}: {e} (make test installs axe-core)"))?;
    let mut problems = Vec::new();
    let mut audited = 0;
    for page in pages() {
        ctx.open(&page).await?;
        ctx.wait_text("main h1", |t| !t.is_empty()).await?;
        // Let the worker answer so widgets are audited with their results, not their placeholders.
        let coming = ctx.has("main .coming").await;
        if !coming {
            let _ = ctx.wait_text(".status-bar", |t| t.contains("idle")).await;
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        for issue in audit(ctx, &axe).await? {
            problems.push(format!("{page}: {issue}"));
        }
        audited += 1;
    }
    ctx.open("/").await?;
    ctx.js("document.documentElement.dataset.theme = 'dark'")
        .await?;
    for issue in audit(ctx, &axe).await? {
        problems.push(format!("/ (dark): {issue}"));
    }
    println!(
        "    axe-core: {audited} pages audited (+ dark home), {} serious/critical violations",
        problems.len()
    );
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n    "))
    }
}
