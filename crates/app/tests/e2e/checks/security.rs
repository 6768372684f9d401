//! The page under its Content-Security-Policy: scripts only from the site (no inline script, no
//! eval beyond compiling WebAssembly), nothing refused while a lab works, and a lab embedded in
//! another site's iframe still runs.

use std::time::{Duration, Instant};

use super::widgets::{texts, type_into, wait_widget};
use super::{Ctx, Outcome};

/// The value of `directive` in a policy.
fn directive<'a>(policy: &'a str, directive: &str) -> Option<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(directive)?.strip_prefix(' '))
}

pub async fn content_security_policy(ctx: &Ctx<'_>) -> Outcome {
    ctx.open("/labs/fill-mask").await?;
    wait_widget(ctx, "table.guesses").await?;
    let policy = ctx
        .js("return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]')?.content || ''")
        .await?;
    let policy = policy.as_str().unwrap_or_default();
    if directive(policy, "script-src") != Some("'self' 'wasm-unsafe-eval'")
        || directive(policy, "object-src") != Some("'none'")
    {
        return Err(format!("the page's policy is not strict: {policy:?}"));
    }
    let inline = ctx
        .js("return document.querySelectorAll('script:not([src])').length")
        .await?;
    if inline.as_u64() != Some(0) {
        return Err(format!("{inline} inline scripts on the page"));
    }
    // Whatever the lab does from here is watched for refusals.
    ctx.js("window.cspRefused = []; document.addEventListener('securitypolicyviolation', e => cspRefused.push(e.violatedDirective + ' ' + e.blockedURI));")
        .await?;
    let before = texts(ctx, "table.guesses th").await?;
    type_into(ctx, "#fm-text", "The children played in the [MASK].").await?;
    let started = Instant::now();
    while texts(ctx, "table.guesses th").await? == before || ctx.has("main .error").await {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the lab did not answer under the policy".into());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let refused = ctx.js("return cspRefused").await?;
    if refused.as_array().is_none_or(|r| !r.is_empty()) {
        return Err(format!("the policy refused: {refused}"));
    }

    // An instructor's page on another site embeds a lab: `localhost` is another site than
    // `127.0.0.1`, so the lab runs as a third-party iframe (partitioned storage). The course page
    // is a plain text file of the other server, which has no policy of its own to refuse frames.
    let course = ctx
        .hosted
        .url("robots.txt")
        .replace("127.0.0.1", "localhost");
    ctx.client
        .goto(&course)
        .await
        .map_err(|e| format!("open the course page: {e}"))?;
    let lab = ctx.server.url("/labs/masking?embed=1");
    ctx.js(&format!(
        "const frame = document.createElement('iframe'); frame.src = {lab:?}; frame.width = 900; \
         frame.height = 700; document.body.append(frame);"
    ))
    .await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    ctx.client
        .enter_frame(0)
        .await
        .map_err(|e| format!("enter the iframe: {e}"))?;
    let inside = async {
        wait_widget(ctx, "#mask-grid").await?;
        // The worker ran the masking job and went idle, in the iframe's partitioned storage.
        ctx.wait_text_for(".status-bar", Duration::from_secs(60), |t| {
            t.contains("idle")
        })
        .await?;
        wait_widget(ctx, "#mask-grid").await?;
        if ctx.has(".site-header").await {
            return Err("the embedded lab shows the site's navigation".to_string());
        }
        Ok(())
    }
    .await;
    let _ = ctx.screenshot("embedded_in_another_site").await;
    let _ = ctx.client.enter_parent_frame().await;
    inside
}
