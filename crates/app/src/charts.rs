//! Charts the widgets draw: line charts rendered to SVG with plotters (pure, native-testable), and
//! heatmaps painted on a canvas (thousands of cells are too many for DOM nodes).

use plotters::prelude::*;

/// One line of a chart.
pub struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    /// Dashed lines mark configured (target) values next to measured ones.
    pub dashed: bool,
    /// The palette index of the line this one belongs with (a run and its reference share a
    /// colour); `None` takes the next colour by position.
    pub colour: Option<usize>,
}

/// Line colours, distinguishable in both themes and for common colour blindness (Okabe–Ito).
const PALETTE: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];

/// Draw `series` as an SVG document `width × height` px with axis labels and a legend.
pub fn line_chart_svg(
    series: &[Series],
    caption: &str,
    x_label: &str,
    y_label: &str,
    size: (u32, u32),
) -> Result<String, String> {
    let mut svg = String::new();
    let (x_range, y_range) = ranges(series);
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| format!("could not draw the chart: {e}");
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(8)
            .x_label_area_size(36)
            .y_label_area_size(48)
            .build_cartesian_2d(x_range, y_range)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc(x_label)
            .y_desc(y_label)
            .label_style(("sans-serif", 12))
            .draw()
            .map_err(err)?;
        for (i, s) in series.iter().enumerate() {
            let colour = PALETTE[s.colour.unwrap_or(i) % PALETTE.len()];
            let style = colour.stroke_width(2);
            let dashed = s.dashed;
            let drawn = if s.dashed {
                chart.draw_series(DashedLineSeries::new(s.points.iter().copied(), 6, 4, style))
            } else {
                chart.draw_series(LineSeries::new(s.points.iter().copied(), style))
            };
            drawn
                .map_err(err)?
                .label(s.label.clone())
                .legend(move |(x, y)| {
                    // A dashed line's key is dashed too: a gap splits it in two.
                    let gap = if dashed { 5 } else { 0 };
                    EmptyElement::at((x, y))
                        + PathElement::new(vec![(0, 0), (7, 0)], colour.stroke_width(2))
                        + PathElement::new(vec![(7 + gap, 0), (18, 0)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .label_font(("sans-serif", 12))
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Category colours (Okabe–Ito's eight, black last): one per class of a scatter plot.
pub const CATEGORY_COLOURS: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

/// Black or white, whichever reads better on class `class`'s colour (WCAG relative luminance).
pub fn category_text_css(class: usize) -> &'static str {
    let RGBColor(r, g, b) = CATEGORY_COLOURS[class % CATEGORY_COLOURS.len()];
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let luminance = 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    // Contrast with white is (1.05) / (L + 0.05), with black (L + 0.05) / 0.05: equal at L ≈ 0.179.
    if luminance > 0.179 {
        "#000"
    } else {
        "#fff"
    }
}

/// The colour of class `class` as CSS (`rgb(r, g, b)`), for a legend drawn next to a scatter plot.
pub fn category_css(class: usize) -> String {
    let RGBColor(r, g, b) = CATEGORY_COLOURS[class % CATEGORY_COLOURS.len()];
    format!("rgb({r}, {g}, {b})")
}

/// Points `[x, y]` as dots coloured by `classes` (one per point), as an SVG document `size` px with
/// its caption; the axes are unlabelled projections, so only their extent is drawn.
pub fn scatter_svg(
    points: &[[f32; 2]],
    classes: &[usize],
    caption: &str,
    size: (u32, u32),
) -> Result<String, String> {
    let extent = |k: usize| {
        let (lo, hi) = points.iter().fold((f32::MAX, f32::MIN), |(lo, hi), p| {
            (lo.min(p[k]), hi.max(p[k]))
        });
        if lo > hi {
            return -1.0..1.0;
        }
        let pad = ((hi - lo) * 0.05).max(1e-6);
        (lo - pad) as f64..(hi + pad) as f64
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        let err = |e: DrawingAreaErrorKind<_>| format!("could not draw the chart: {e}");
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 14))
            .margin(8)
            .x_label_area_size(24)
            .y_label_area_size(36)
            .build_cartesian_2d(extent(0), extent(1))
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc("PC 1")
            .y_desc("PC 2")
            .x_labels(3)
            .y_labels(3)
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(err)?;
        chart
            .draw_series(points.iter().zip(classes).map(|(p, &c)| {
                let colour = CATEGORY_COLOURS[c % CATEGORY_COLOURS.len()];
                Circle::new((p[0] as f64, p[1] as f64), 2, colour.mix(0.75).filled())
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

/// Axis ranges covering every point, with a little headroom; never empty.
fn ranges(series: &[Series]) -> (std::ops::Range<f64>, std::ops::Range<f64>) {
    let points = series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, 0.0f64, f64::MIN);
    for &(x, y) in points {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if x0 > x1 {
        return (0.0..1.0, 0.0..1.0);
    }
    if x1 - x0 < 1e-9 {
        x1 = x0 + 1.0;
    }
    if y1 - y0 < 1e-9 {
        y1 = y0 + 1.0;
    }
    (x0..x1, y0..y1 + (y1 - y0) * 0.08)
}

/// Colour of a heatmap cell. Diverging maps (signed values such as embeddings) go blue–white–red
/// around zero, scaled by the largest magnitude; sequential maps (probabilities) go white to blue.
pub fn cell_colour(value: f32, scale: f32, diverging: bool) -> [u8; 3] {
    let t = if scale > 0.0 {
        (value / scale).clamp(-1.0, 1.0)
    } else {
        0.0
    };
    let mix = |from: [f32; 3], to: [f32; 3], t: f32| -> [u8; 3] {
        [0, 1, 2].map(|i| (from[i] + (to[i] - from[i]) * t).round() as u8)
    };
    const WHITE_: [f32; 3] = [255.0, 255.0, 255.0];
    const BLUE: [f32; 3] = [33.0, 102.0, 172.0];
    const RED: [f32; 3] = [178.0, 24.0, 43.0];
    if diverging {
        if t >= 0.0 {
            mix(WHITE_, RED, t)
        } else {
            mix(WHITE_, BLUE, -t)
        }
    } else {
        mix(WHITE_, BLUE, t.max(0.0).sqrt())
    }
}

/// The scale a heatmap normalises by: the largest magnitude (at least a tiny positive number).
pub fn scale_of(rows: &[Vec<f32>]) -> f32 {
    rows.iter()
        .flatten()
        .fold(
            0.0f32,
            |m, v| if v.is_finite() { m.max(v.abs()) } else { m },
        )
        .max(1e-12)
}

#[cfg(target_arch = "wasm32")]
pub use browser::Heatmap;

#[cfg(target_arch = "wasm32")]
mod browser {
    use leptos::html::Canvas;
    use leptos::prelude::*;
    use wasm_bindgen::{Clamped, JsCast};

    use super::{cell_colour, scale_of};

    /// A matrix painted on a canvas, one `cell × cell` px block per value.
    #[component]
    pub fn Heatmap(
        /// Row-major values; rows may not be ragged.
        rows: Vec<Vec<f32>>,
        /// Signed values (blue–white–red) rather than non-negative ones (white–blue).
        #[prop(default = false)]
        diverging: bool,
        /// Pixels per cell: (width, height).
        #[prop(default = (8, 8))]
        cell: (u32, u32),
        /// What the map shows, for screen readers.
        label: String,
    ) -> impl IntoView {
        let canvas = NodeRef::<Canvas>::new();
        let height = rows.len() as u32 * cell.1;
        let width = rows.first().map_or(0, |r| r.len() as u32) * cell.0;
        Effect::new(move |_| {
            let Some(canvas) = canvas.get() else {
                return;
            };
            if width == 0 || height == 0 {
                return;
            }
            let scale = scale_of(&rows);
            let mut pixels = vec![0u8; (width * height * 4) as usize];
            for (r, row) in rows.iter().enumerate() {
                for (c, &v) in row.iter().enumerate() {
                    let [red, green, blue] = cell_colour(v, scale, diverging);
                    for y in 0..cell.1 {
                        let py = r as u32 * cell.1 + y;
                        for x in 0..cell.0 {
                            let px = c as u32 * cell.0 + x;
                            let i = ((py * width + px) * 4) as usize;
                            pixels[i..i + 4].copy_from_slice(&[red, green, blue, 255]);
                        }
                    }
                }
            }
            let context = canvas
                .get_context("2d")
                .ok()
                .flatten()
                .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok());
            let image = web_sys::ImageData::new_with_u8_clamped_array_and_sh(
                Clamped(&pixels),
                width,
                height,
            );
            if let (Some(context), Ok(image)) = (context, image) {
                let _ = context.put_image_data(&image, 0.0, 0.0);
            }
        });
        view! {
            // The height stays as drawn so rows line up with labels beside the map; CSS may squeeze the width.
            <canvas node_ref=canvas class="heatmap" width=width height=height style=format!("height: {height}px")
                role="img" aria-label=label></canvas>
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_chart_is_an_svg_with_its_labels_and_one_path_per_series() {
        let series = vec![
            Series {
                label: "measured".into(),
                points: vec![(1.0, 0.14), (2.0, 0.16), (3.0, 0.15)],
                dashed: false,
                colour: None,
            },
            Series {
                label: "configured".into(),
                points: vec![(1.0, 0.15), (3.0, 0.15)],
                dashed: true,
                colour: None,
            },
        ];
        let svg = line_chart_svg(&series, "Rates", "epoch", "share", (400, 240)).expect("draws");
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        for text in ["Rates", "epoch", "share", "measured", "configured"] {
            assert!(svg.contains(text), "missing {text}");
        }
        assert!(svg.matches("<polyline").count() + svg.matches("<path").count() >= 2);
    }

    #[test]
    fn a_scatter_plot_draws_one_dot_per_point_in_its_class_colour() {
        let points: Vec<[f32; 2]> = (0..30).map(|i| [i as f32, (i * i) as f32]).collect();
        let classes: Vec<usize> = (0..30).map(|i| i % 3).collect();
        let svg = scatter_svg(&points, &classes, "pretrained: 60% + 20%", (320, 300)).unwrap();
        assert_eq!(svg.matches("<circle").count(), 30);
        assert!(svg.contains("pretrained: 60% + 20%"));
        let RGBColor(r, g, b) = CATEGORY_COLOURS[2];
        assert!(
            svg.to_lowercase()
                .contains(&format!("#{r:02x}{g:02x}{b:02x}")),
            "{svg}"
        );
        assert_eq!(category_css(10), category_css(2));
        // No points, or one: still a drawing.
        assert!(scatter_svg(&[], &[], "empty", (320, 300)).is_ok());
        assert!(scatter_svg(&[[1.0, 1.0]], &[0], "one", (320, 300)).is_ok());
    }

    #[test]
    fn empty_or_flat_series_still_draw() {
        assert!(line_chart_svg(&[], "Empty", "x", "y", (200, 120)).is_ok());
        let flat = vec![Series {
            label: "flat".into(),
            points: vec![(0.0, 2.0), (0.0, 2.0)],
            dashed: false,
            colour: None,
        }];
        assert!(line_chart_svg(&flat, "Flat", "x", "y", (200, 120)).is_ok());
    }

    #[test]
    fn colours_run_from_white_at_zero_to_the_ends_of_the_scale() {
        assert_eq!(cell_colour(0.0, 1.0, true), [255, 255, 255]);
        assert_eq!(cell_colour(0.0, 1.0, false), [255, 255, 255]);
        let red = cell_colour(2.0, 1.0, true);
        let blue = cell_colour(-2.0, 1.0, true);
        assert!(red[0] > red[2] && blue[2] > blue[0]);
        // Non-finite values and a zero scale do not panic.
        let _ = cell_colour(f32::NAN, 0.0, true);
        assert!(scale_of(&[vec![f32::INFINITY, -3.0]]) == 3.0);
    }
}
