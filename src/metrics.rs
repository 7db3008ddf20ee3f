//! Prometheus metrics: what the process counts as it goes (requests, mail outcomes) and
//! what the database holds (mail by status, open clocks, engine lag), read per scrape so
//! every replica reports the same shared state.

use std::sync::LazyLock;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
};

pub static REGISTRY: LazyLock<Registry> = LazyLock::new(Registry::new);

fn register<C: prometheus::core::Collector + Clone + 'static>(c: C) -> C {
    // Registering the same name twice is the only error, and each is registered once.
    let _ = REGISTRY.register(Box::new(c.clone()));
    c
}

#[allow(
    clippy::expect_used,
    reason = "a constant definition, forced at start-up by init()"
)]
pub static HTTP_DURATION: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "yuqing_http_request_duration_seconds",
                "HTTP requests by route pattern, method and status",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("metric definition"),
    )
});

/// Time to render a console page's HTML from its view (the template alone, after the
/// queries), per template: pages are meant to render in a few milliseconds.
#[allow(
    clippy::expect_used,
    reason = "a constant definition, forced at start-up by init()"
)]
pub static CONSOLE_RENDER: LazyLock<HistogramVec> = LazyLock::new(|| {
    register(
        HistogramVec::new(
            HistogramOpts::new(
                "yuqing_console_render_seconds",
                "Console page HTML rendering by template",
            )
            .buckets(vec![
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
            ]),
            &["template"],
        )
        .expect("metric definition"),
    )
});

/// Results of send attempts: sent, retry (4xx / network), failed (5xx and other
/// permanent failures), cancelled.
#[allow(
    clippy::expect_used,
    reason = "a constant definition, forced at start-up by init()"
)]
pub static MAIL_ATTEMPTS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "yuqing_mail_attempts_total",
                "Escalation mail send attempts by outcome",
            ),
            &["outcome"],
        )
        .expect("metric definition"),
    )
});

/// Results of sends per channel: sent, retry, failed.
#[allow(
    clippy::expect_used,
    reason = "a constant definition, forced at start-up by init()"
)]
pub static CHANNEL_SENDS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    register(
        IntCounterVec::new(
            Opts::new(
                "yuqing_channel_sends_total",
                "Messages handed to a channel (email, wecom, sms) by outcome",
            ),
            &["channel", "outcome"],
        )
        .expect("metric definition"),
    )
});

/// What the database holds at a scrape.
pub struct Snapshot {
    pub mails_by_status: Vec<(&'static str, i64)>,
    pub open_clocks: Vec<(&'static str, i64)>,
    pub engine_lag_seconds: i64,
}

/// The process counters plus `snapshot`, in Prometheus text format. The snapshot goes
/// into a registry of its own per scrape, so concurrent scrapes never mix values.
pub fn render(snapshot: &Snapshot) -> Result<String, prometheus::Error> {
    let scrape = Registry::new();
    let mails = IntGaugeVec::new(
        Opts::new("yuqing_mails", "Escalation mails in the database by status"),
        &["status"],
    )?;
    for (status, n) in &snapshot.mails_by_status {
        mails.with_label_values(&[*status]).set(*n);
    }
    let clocks = IntGaugeVec::new(
        Opts::new(
            "yuqing_open_clocks",
            "Running clocks by shown state (running, at_risk, breached)",
        ),
        &["state"],
    )?;
    for (state, n) in &snapshot.open_clocks {
        clocks.with_label_values(&[*state]).set(*n);
    }
    let lag = IntGauge::new(
        "yuqing_engine_lag_seconds",
        "How long the oldest due escalation has waited (0 when none is due)",
    )?;
    lag.set(snapshot.engine_lag_seconds);
    scrape.register(Box::new(mails))?;
    scrape.register(Box::new(clocks))?;
    scrape.register(Box::new(lag))?;
    let mut families = REGISTRY.gather();
    families.extend(scrape.gather());
    let mut out = Vec::new();
    TextEncoder::new().encode(&families, &mut out)?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// Defines every metric now, so a bad definition fails at start and not at a scrape.
pub fn init() {
    LazyLock::force(&HTTP_DURATION);
    LazyLock::force(&MAIL_ATTEMPTS);
    LazyLock::force(&CHANNEL_SENDS);
    LazyLock::force(&CONSOLE_RENDER);
}
