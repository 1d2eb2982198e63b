//! `telemetry::register_metrics`: once the app registered, a decision records into handles
//! taken from the recorder, and looks nothing up in it again; the counts stay exact. A
//! binary of its own: it installs the process's global recorder.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use auth_tests::{
    Fixture, TestRequest, actix_config, axum_app, call_actix, call_axum, cases::cases,
};
use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};

/// Counts per key, and how many times a counter or histogram was looked up.
#[derive(Default)]
struct Counting {
    lookups: AtomicUsize,
    series: std::sync::Mutex<Vec<(String, Arc<Series>)>>,
}

#[derive(Default)]
struct Series(AtomicUsize);

impl CounterFn for Series {
    fn increment(&self, value: u64) {
        self.0.fetch_add(value as usize, Ordering::Relaxed);
    }
    fn absolute(&self, value: u64) {
        self.0.store(value as usize, Ordering::Relaxed);
    }
}

impl HistogramFn for Series {
    fn record(&self, _: f64) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

impl Counting {
    fn series(&self, key: &Key) -> Arc<Series> {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let labels: Vec<String> = key.labels().map(|l| l.value().to_owned()).collect();
        let name = format!("{} {}", key.name(), labels.join(" "));
        let mut all = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, s)) = all.iter().find(|(n, _)| *n == name) {
            return s.clone();
        }
        let s = Arc::new(Series::default());
        all.push((name, s.clone()));
        s
    }

    fn value(&self, name: &str) -> usize {
        let all = self
            .series
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        all.iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, s)| s.0.load(Ordering::Relaxed))
    }
}

impl Recorder for &'static Counting {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.series(key))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.series(key))
    }
}

#[test]
fn admissions_record_through_the_registered_handles() {
    let recorder: &'static Counting = Box::leak(Box::default());
    metrics::set_global_recorder(recorder).unwrap();
    let fx = Fixture::new();
    let pick = |name: &str| -> TestRequest {
        let case = cases(&fx).into_iter().find(|c| c.name == name).unwrap();
        case.request
    };
    let (valid, expired) = (pick("valid HS256"), pick("expired"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // Three accepted and one expired token through each adapter.
    let round = || {
        rt.block_on(async {
            let app = axum_app(fx.validator.clone());
            let actix = actix_web::test::init_service(
                actix_web::App::new().configure(actix_config(fx.validator.clone())),
            )
            .await;
            for req in [&valid, &valid, &valid, &expired] {
                assert_ne!(call_axum(&app, req).await.status, 500);
                assert_ne!(call_actix(&actix, req).await.status, 500);
            }
        })
    };

    // Before registering: every decision looks its counter (if admitted) and histogram up.
    round();
    assert_eq!(
        recorder.lookups.load(Ordering::Relaxed),
        2 * (3 + 3 + 1 + 1)
    );

    assert!(auth_core::telemetry::register_metrics());
    assert!(!auth_core::telemetry::register_metrics(), "taken once");
    let registered = recorder.lookups.load(Ordering::Relaxed);

    // After: a refusal's counter is looked up the first time it is refused, then never
    // again; the counts go on from where they were.
    round();
    assert_eq!(recorder.lookups.load(Ordering::Relaxed) - registered, 1);
    round();
    assert_eq!(recorder.lookups.load(Ordering::Relaxed) - registered, 1);
    assert_eq!(recorder.value("auth_requests_total jwt accepted"), 18);
    assert_eq!(recorder.value("auth_requests_total jwt expired"), 6);
    assert_eq!(recorder.value("auth_verification_seconds jwt"), 24);
    assert_eq!(recorder.value("auth_verification_seconds api_key"), 0);
}
