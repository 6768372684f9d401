//! No text a student typed, uploaded or linked reaches the page as HTML: the code sets markup in
//! one file only, a chart's SVG (a line chart or a scatter plot), and the chart renderer escapes
//! every text it draws.

use std::path::{Path, PathBuf};

use bertlab_app::charts::{line_chart_svg, Series};

/// Ways to hand the browser markup instead of text.
const MARKUP_SINKS: [&str; 5] = [
    "inner_html",
    "outer_html",
    "insert_adjacent_html",
    "document.write",
    "create_contextual_fragment",
];

/// The one file markup is set in, and what it sets: the SVG `line_chart_svg` or `scatter_svg` draws.
const ALLOWED: (&str, &str) = ("labs/mod.rs", "inner_html=svg");

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("source folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn markup_is_set_only_from_the_chart_renderer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    for code in ["app/src", "worker/src"] {
        rust_files(&root.join(code), &mut files);
    }
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable source");
        for (n, line) in text.lines().enumerate() {
            if MARKUP_SINKS.iter().any(|sink| line.contains(sink)) {
                let allowed = file.ends_with(ALLOWED.0) && line.contains(ALLOWED.1);
                if !allowed {
                    found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
                }
            }
        }
    }
    assert!(found.is_empty(), "markup set outside the chart: {found:#?}");
    let chart = std::fs::read_to_string(root.join("app/src").join(ALLOWED.0)).expect("labs");
    let function = &chart[chart.find("pub fn chart_figure").expect("chart_figure")..];
    assert!(
        function[..function.find(ALLOWED.1).expect("the allowed line")].contains("line_chart_svg("),
        "the markup set is no longer the chart renderer's output"
    );
    let scatter = &chart[chart.find("pub fn scatter_figure").expect("scatter_figure")..];
    assert!(
        scatter[..scatter.find(ALLOWED.1).expect("the allowed line")].contains("scatter_svg("),
        "the scatter plot's markup is no longer the chart renderer's output"
    );
    assert_eq!(
        chart.matches(ALLOWED.1).count(),
        2,
        "markup is set only by chart_figure and scatter_figure"
    );
}

/// Labels come from the student's CSV (class names) and settings: each is drawn as text.
#[test]
fn the_chart_renderer_escapes_every_text_it_draws() {
    let attack = "<img src=x onerror=alert(1)><script>alert(2)</script>&";
    let series = [Series {
        label: attack.to_string(),
        points: vec![(0.0, 1.0), (1.0, 0.5)],
        dashed: false,
        colour: None,
    }];
    let svg = line_chart_svg(&series, attack, attack, attack, (420, 260)).expect("chart");
    for element in ["<img", "<script", "onerror=alert(1)>"] {
        assert!(!svg.contains(element), "{element} reached the SVG: {svg}");
    }
    assert!(svg.contains("&lt;img"), "the label was not drawn at all");
}
