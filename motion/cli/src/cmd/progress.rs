//! Progress of a long training run: a bar on a terminal; without one (a log file, CI) indicatif
//! hides its bar, so a plain line is printed every 30 s instead. Also enforces --max-minutes.
use indicatif::{ProgressBar, ProgressStyle};
use std::cell::Cell;
use std::time::{Duration, Instant};

const LOG_EVERY: Duration = Duration::from_secs(30);

pub struct TrainProgress {
    bar: ProgressBar,
    steps: usize,
    on_terminal: bool,
    start: Instant,
    last_line: Cell<Instant>,
    deadline: Option<Instant>,
}

impl TrainProgress {
    pub fn new(steps: usize, max_minutes: Option<f64>) -> Self {
        let bar = ProgressBar::new(steps as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed_precise} eta {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        let start = Instant::now();
        Self {
            bar,
            steps,
            on_terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            start,
            last_line: Cell::new(start),
            deadline: max_minutes.map(|m| start + Duration::from_secs_f64(m.clamp(0.0, 1e7) * 60.0)),
        }
    }

    /// Shows `step` and `msg`; returns false once the time limit has passed (the caller stops).
    pub fn update(&self, step: usize, msg: String) -> bool {
        self.bar.set_position(step as u64);
        if !self.on_terminal && (self.last_line.get().elapsed() >= LOG_EVERY || step == self.steps) {
            self.last_line.set(Instant::now());
            eprintln!("step {step}/{} {msg} {:.0} s", self.steps, self.start.elapsed().as_secs_f64());
        }
        self.bar.set_message(msg);
        self.deadline.is_none_or(|d| Instant::now() < d)
    }

    pub fn finish(&self) {
        self.bar.finish();
    }
}
