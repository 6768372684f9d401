//! Training curves: a run's recorded metrics ([`MetricsLog`]) as series — the training MLM loss,
//! raw and smoothed, and the validation MLM loss — and a chart of one or several runs on shared
//! axes (the recipe comparison draws two). The chart draws on any plotters backend; natively,
//! [`png`] renders it to PNG bytes, drawing its text with the font in `assets/fonts` compiled in,
//! so a machine without system fonts still labels its axes.
//!
//! The MLM loss is plotted, not the total: an NSP/SOP run adds its pair loss to the total, which
//! would make runs with and without a pair task incomparable. The x axis is tokens seen, the budget
//! the recipes are compared on.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{MetricsLog, TrainError};

/// Weight of the running average in [`RunCurves::from_log`]: each point keeps this share of the
/// previous smoothed value.
pub const DEFAULT_SMOOTHING: f64 = 0.9;

/// One run's curves; x is tokens seen, y the MLM loss.
#[derive(Debug, Clone, PartialEq)]
pub struct RunCurves {
    pub label: String,
    /// Training MLM loss of each update.
    pub train_raw: Vec<(f64, f64)>,
    /// The same, exponentially smoothed (the first point starts the average).
    pub train_smoothed: Vec<(f64, f64)>,
    /// Validation MLM loss wherever validation ran.
    pub valid: Vec<(f64, f64)>,
}

impl RunCurves {
    /// The curves of a run's metrics; non-finite losses (a run stopped by the NaN guard) are left
    /// out. `smoothing` is clamped to [0, 1).
    pub fn from_log(label: impl Into<String>, log: &MetricsLog, smoothing: f64) -> RunCurves {
        let a = smoothing.clamp(0.0, 0.999);
        let train_raw: Vec<(f64, f64)> = log
            .rows
            .iter()
            .map(|r| (r.step.tokens_seen as f64, r.step.mlm_loss))
            .filter(|(_, y)| y.is_finite())
            .collect();
        let mut avg = None;
        let train_smoothed = train_raw
            .iter()
            .map(|&(x, y)| {
                let s = avg.map_or(y, |prev: f64| a * prev + (1.0 - a) * y);
                avg = Some(s);
                (x, s)
            })
            .collect();
        let valid = log
            .rows
            .iter()
            .filter_map(|r| {
                let v = r.valid.as_ref()?;
                v.loss
                    .is_finite()
                    .then_some((r.step.tokens_seen as f64, v.loss))
            })
            .collect();
        RunCurves {
            label: label.into(),
            train_raw,
            train_smoothed,
            valid,
        }
    }

    fn points(&self) -> impl Iterator<Item = &(f64, f64)> {
        self.train_raw.iter().chain(&self.valid)
    }
}

/// Token counts as axis labels: 850, 12k, 1.5M.
fn human(tokens: f64) -> String {
    let a = tokens.abs();
    if a >= 1e6 {
        format!("{:.1}M", tokens / 1e6)
    } else if a >= 1e3 {
        format!("{:.0}k", tokens / 1e3)
    } else {
        format!("{tokens:.0}")
    }
}

/// The line colours of successive runs (colour-blind-safe Okabe–Ito hues).
const COLOURS: [RGBColor; 6] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(230, 159, 0),
];

/// plotters sizes the legend box with its built-in font estimate (0.46 em per character), not the
/// backend's font; trailing spaces widen that estimate to the embedded monospace font's 0.6 em.
fn legend_text(label: &str) -> String {
    let n = label.chars().count();
    format!("{label}{}", " ".repeat(n.div_ceil(3)))
}

fn plot_err(e: impl std::fmt::Display) -> TrainError {
    TrainError::Plot(e.to_string())
}

/// Draws the runs on `area`: per run, the raw training loss faintly, the smoothed training loss and
/// the validation loss with markers, and a legend naming each.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    runs: &[RunCurves],
    title: &str,
) -> Result<(), TrainError> {
    if runs.is_empty() {
        return Err(TrainError::Plot("no run to draw".into()));
    }
    if let Some(r) = runs.iter().find(|r| r.train_raw.is_empty()) {
        return Err(TrainError::Plot(format!(
            "run {:?} has no recorded training loss",
            r.label
        )));
    }
    let (mut x1, mut y0, mut y1) = (0f64, f64::INFINITY, f64::NEG_INFINITY);
    for &(x, y) in runs.iter().flat_map(RunCurves::points) {
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    let pad = ((y1 - y0) * 0.05).max(0.05);
    let (y0, y1) = ((y0 - pad).max(0.0), y1 + pad);
    let x1 = x1.max(1.0);

    area.fill(&WHITE).map_err(plot_err)?;
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(46)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..x1, y0..y1)
        .map_err(plot_err)?;
    chart
        .configure_mesh()
        .x_desc("tokens seen")
        .y_desc("MLM loss")
        .x_label_formatter(&|x| human(*x))
        .y_label_formatter(&|y| format!("{y:.1}"))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(235, 235, 235))
        .draw()
        .map_err(plot_err)?;

    for (i, run) in runs.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        chart
            .draw_series(LineSeries::new(
                run.train_raw.iter().copied(),
                colour.mix(0.2).stroke_width(1),
            ))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                run.train_smoothed.iter().copied(),
                colour.stroke_width(2),
            ))
            .map_err(plot_err)?
            .label(legend_text(&format!("{} training", run.label)))
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 22, y)], colour.stroke_width(2)));
        if !run.valid.is_empty() {
            let marker = colour.filled();
            chart
                .draw_series(LineSeries::new(
                    run.valid.iter().copied(),
                    colour.stroke_width(1),
                ))
                .map_err(plot_err)?;
            chart
                .draw_series(run.valid.iter().map(move |&p| Circle::new(p, 4, marker)))
                .map_err(plot_err)?
                .label(legend_text(&format!("{} validation", run.label)))
                .legend(move |(x, y)| Circle::new((x + 11, y), 4, marker));
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(180, 180, 180))
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(plot_err)?;
    Ok(())
}

/// Native PNG rendering: plotters' bitmap backend, with text drawn by [`text::Labelled`] from the
/// font compiled into the binary.
#[cfg(not(target_arch = "wasm32"))]
mod text {
    use ab_glyph::{point, Font, FontRef, PxScale, ScaleFont};
    use plotters::prelude::*;
    use plotters_backend::text_anchor::{HPos, VPos};
    use plotters_backend::{
        BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
    };

    /// DejaVu Sans Mono (assets/fonts/SOURCE.md).
    static FONT: &[u8] = include_bytes!("../../../../assets/fonts/DejaVuSansMono.ttf");

    pub fn font() -> Option<FontRef<'static>> {
        FontRef::try_from_slice(FONT).ok()
    }

    /// A backend that forwards every shape to `inner` and draws text itself with `font`, whatever
    /// family the chart asks for.
    pub struct Labelled<'f, B> {
        pub inner: B,
        pub font: &'f FontRef<'static>,
    }

    impl<B> Labelled<'_, B> {
        /// Width and height (ascent to descent) of `text` at `size` pixels.
        fn measure(&self, text: &str, size: f64) -> (f32, f32) {
            let f = self.font.as_scaled(PxScale::from(size as f32));
            let mut width = 0.0;
            let mut prev = None;
            for c in text.chars() {
                let id = f.glyph_id(c);
                if let Some(p) = prev {
                    width += f.kern(p, id);
                }
                width += f.h_advance(id);
                prev = Some(id);
            }
            (width, f.ascent() - f.descent())
        }
    }

    impl<B: DrawingBackend> DrawingBackend for Labelled<'_, B> {
        type ErrorType = B::ErrorType;

        fn get_size(&self) -> (u32, u32) {
            self.inner.get_size()
        }
        fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.ensure_prepared()
        }
        fn present(&mut self) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.present()
        }
        fn draw_pixel(
            &mut self,
            p: BackendCoord,
            c: BackendColor,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.draw_pixel(p, c)
        }
        fn draw_line<S: BackendStyle>(
            &mut self,
            from: BackendCoord,
            to: BackendCoord,
            style: &S,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.draw_line(from, to, style)
        }
        fn draw_rect<S: BackendStyle>(
            &mut self,
            a: BackendCoord,
            b: BackendCoord,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.draw_rect(a, b, style, fill)
        }
        fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            path: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.draw_path(path, style)
        }
        fn draw_circle<S: BackendStyle>(
            &mut self,
            center: BackendCoord,
            radius: u32,
            style: &S,
            fill: bool,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.draw_circle(center, radius, style, fill)
        }
        fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
            &mut self,
            vert: I,
            style: &S,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.fill_polygon(vert, style)
        }
        fn blit_bitmap(
            &mut self,
            pos: BackendCoord,
            size: (u32, u32),
            src: &[u8],
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            self.inner.blit_bitmap(pos, size, src)
        }

        fn estimate_text_size<S: BackendTextStyle>(
            &self,
            text: &str,
            style: &S,
        ) -> Result<(u32, u32), DrawingErrorKind<B::ErrorType>> {
            let (w, h) = self.measure(text, style.size());
            Ok((w.ceil() as u32, h.ceil() as u32))
        }

        /// Lays the glyphs out along a baseline, places the box by the anchor, rotates it as the
        /// style says (the y-axis title is turned 270°) and blends each covered pixel.
        fn draw_text<S: BackendTextStyle>(
            &mut self,
            text: &str,
            style: &S,
            pos: BackendCoord,
        ) -> Result<(), DrawingErrorKind<B::ErrorType>> {
            let colour = style.color();
            if colour.alpha == 0.0 {
                return Ok(());
            }
            let size = style.size();
            let (width, height) = self.measure(text, size);
            let dx = match style.anchor().h_pos {
                HPos::Left => 0.0,
                HPos::Center => -width / 2.0,
                HPos::Right => -width,
            };
            let dy = match style.anchor().v_pos {
                VPos::Top => 0.0,
                VPos::Center => -height / 2.0,
                VPos::Bottom => -height,
            };
            let f = self.font.as_scaled(PxScale::from(size as f32));
            let baseline = dy + f.ascent();
            let (mut x, mut prev) = (dx, None);
            let mut pixels = Vec::new();
            for c in text.chars() {
                let id = f.glyph_id(c);
                if let Some(p) = prev {
                    x += f.kern(p, id);
                }
                let glyph = id.with_scale_and_position(f.scale(), point(x, baseline));
                x += f.h_advance(id);
                prev = Some(id);
                if let Some(outline) = self.font.outline_glyph(glyph) {
                    let b = outline.px_bounds();
                    outline.draw(|gx, gy, coverage| {
                        let px = (b.min.x + gx as f32) as i32;
                        let py = (b.min.y + gy as f32) as i32;
                        pixels.push((px, py, coverage));
                    });
                }
            }
            let transform = style.transform();
            let (w, h) = self.get_size();
            for (px, py, coverage) in pixels {
                let (rx, ry) = transform.transform(px, py);
                let (x, y) = (pos.0 + rx, pos.1 + ry);
                if coverage > 0.0 && x >= 0 && y >= 0 && x < w as i32 && y < h as i32 {
                    let c = BackendColor {
                        alpha: colour.alpha * coverage.min(1.0) as f64,
                        rgb: colour.rgb,
                    };
                    self.inner.draw_pixel((x, y), c)?;
                }
            }
            Ok(())
        }
    }
}

/// The chart of [`draw`] as a PNG of `width` × `height` pixels (RGB, 8 bits), its text in the font
/// compiled into the binary.
#[cfg(not(target_arch = "wasm32"))]
pub fn png(
    runs: &[RunCurves],
    title: &str,
    width: u32,
    height: u32,
) -> Result<Vec<u8>, TrainError> {
    if !(200..=8000).contains(&width) || !(150..=8000).contains(&height) {
        return Err(TrainError::Plot(format!(
            "a {width}×{height} chart is out of range (200–8000 × 150–8000 pixels)"
        )));
    }
    let font =
        text::font().ok_or_else(|| TrainError::Plot("the embedded font did not load".into()))?;
    let mut rgb = vec![255u8; width as usize * height as usize * 3];
    {
        let inner = BitMapBackend::with_buffer(&mut rgb, (width, height));
        let root = text::Labelled { inner, font: &font }.into_drawing_area();
        draw(&root, runs, title)?;
        root.present().map_err(plot_err)?;
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(plot_err)?;
    writer.write_image_data(&rgb).map_err(plot_err)?;
    writer.finish().map_err(plot_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::train::{EvalMetrics, StepMetrics};

    fn log(losses: &[f64], valid_every: usize) -> MetricsLog {
        let mut log = MetricsLog::default();
        for (i, &loss) in losses.iter().enumerate() {
            let step = i + 1;
            log.push_step(
                StepMetrics {
                    step,
                    loss: loss + 0.5,
                    mlm_loss: loss,
                    mlm_accuracy: 0.1,
                    perplexity: loss.exp(),
                    pair_loss: Some(0.5),
                    pair_accuracy: Some(0.6),
                    lr: 1e-3,
                    grad_norm: 1.0,
                    tokens: 100,
                    tokens_seen: 100 * step as u64,
                },
                step as f64,
            );
            if step % valid_every == 0 {
                log.push_validation(EvalMetrics {
                    step,
                    loss: loss + 0.2,
                    accuracy: 0.1,
                    perplexity: (loss + 0.2).exp(),
                    pair_accuracy: None,
                    sequences: 8,
                    masked_tokens: 20,
                });
            }
        }
        log
    }

    #[test]
    fn curves_follow_the_mlm_loss_and_smooth_it() {
        let losses = [8.0, 6.0, 7.0, 5.0, f64::NAN, 4.0];
        let c = RunCurves::from_log("run", &log(&losses, 2), 0.5);
        // The NaN update is left out; x is tokens seen; the MLM loss, not the total, is plotted.
        let xs: Vec<f64> = c.train_raw.iter().map(|p| p.0).collect();
        assert_eq!(xs, [100.0, 200.0, 300.0, 400.0, 600.0]);
        assert_eq!(c.train_raw[1].1, 6.0);
        // s1 = 8, s2 = 0.5·8 + 0.5·6 = 7, s3 = 7, s4 = 6, s6 = 5.
        let smoothed: Vec<f64> = c.train_smoothed.iter().map(|p| p.1).collect();
        assert_eq!(smoothed, [8.0, 7.0, 7.0, 6.0, 5.0]);
        // Validation at steps 2, 4 (and 6); step 4's loss was 5 + 0.2.
        assert_eq!(c.valid.len(), 3);
        assert!((c.valid[1].1 - 5.2).abs() < 1e-12);
        assert_eq!(c.valid[1].0, 400.0);
    }

    #[test]
    fn smoothing_zero_keeps_the_raw_curve() {
        let c = RunCurves::from_log("run", &log(&[3.0, 2.0, 1.0], 10), 0.0);
        assert_eq!(c.train_raw, c.train_smoothed);
        assert!(c.valid.is_empty());
    }

    #[test]
    fn token_labels_are_readable() {
        assert_eq!(human(850.0), "850");
        assert_eq!(human(12_345.0), "12k");
        assert_eq!(human(1_500_000.0), "1.5M");
    }

    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn png_has_the_requested_size_and_refuses_empty_runs() {
        let a = RunCurves::from_log("a", &log(&[9.0, 8.0, 7.5, 7.0], 2), 0.9);
        let b = RunCurves::from_log("b", &log(&[9.5, 8.5, 7.0, 6.0], 2), 0.9);
        let bytes = png(&[a.clone(), b], "two runs", 640, 400).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = decoder.read_info().unwrap();
        assert_eq!((reader.info().width, reader.info().height), (640, 400));

        let empty = RunCurves::from_log("empty", &MetricsLog::default(), 0.9);
        let err = png(&[a.clone(), empty], "t", 640, 400).unwrap_err();
        assert!(err
            .to_string()
            .contains("\"empty\" has no recorded training loss"));
        assert!(png(&[], "t", 640, 400).is_err());
        assert!(png(&[a], "t", 10, 10)
            .unwrap_err()
            .to_string()
            .contains("out of range"));
    }
}
