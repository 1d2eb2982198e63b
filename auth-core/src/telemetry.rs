//! Metrics through the [`metrics`] facade (the app installs the exporter it wants, such as
//! `metrics-exporter-prometheus`; without one, recording costs next to nothing), and the
//! closed set of label values they use. No label ever holds a token, a key id, a user id or
//! anything else a client sends.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `auth_requests_total` | counter | `credential`, `outcome` | one per decision of a guard or extractor: `accepted`, or why refused ([`outcome`]) |
//! | `auth_verification_seconds` | histogram | `credential` | how long each decision took, awaited lookups included |
//! | `auth_keyset_refreshes_total` | counter | `outcome` (`ok`, `error`) | fetches of a remote key set |
//! | `auth_keyset_age_seconds` | gauge | none | seconds since the key set was last fetched, set at each refresh attempt |
//! | `auth_sign_ins_total` | counter | `outcome` (`ok`; `invalid`: the flow's checks failed; `refused` by the app's hook; `failed`: the provider's side or the store) | sign-in callbacks |
//! | `auth_refreshes_total` | counter | `outcome` (`ok`; `reuse`: a rotated token presented again, its family revoked; `invalid`: unknown, expired or revoked; `unavailable`: the store) | refresh-token rotations |
//!
//! Call [`register_metrics`] once, right after installing the recorder: it describes these
//! metrics to the exporter and takes the handles every decision records into, so no
//! decision looks them up in the exporter's registry again.
//!
//! `credential` is `jwt` (a bearer token), `dpop` (a DPoP-bound token), `api_key`, or
//! `either` (a route that takes a token or a key and got neither).
//!
//! Each decision also runs in a `debug` span named `auth` whose fields `credential` and
//! `outcome` are recorded with the same words once decided (`missing` when the request
//! carried no credential), so a tracing backend sees one span per decision with the
//! refusal's event, and any awaited lookup, inside it.

use std::{sync::OnceLock, time::Instant};

use crate::{
    error::{AuthError, DpopError, KeyError, Scheme, TokenError},
    guard::Admission,
};

/// Decisions of guards and extractors, by `credential` and `outcome`.
pub const REQUESTS: &str = "auth_requests_total";
/// How long decisions took, by `credential`.
pub const VERIFICATION_SECONDS: &str = "auth_verification_seconds";
/// Remote key set fetches, by `outcome`.
pub const KEYSET_REFRESHES: &str = "auth_keyset_refreshes_total";
/// Seconds since the remote key set was last fetched.
pub const KEYSET_AGE: &str = "auth_keyset_age_seconds";
/// Sign-in callbacks, by `outcome`.
pub const SIGN_INS: &str = "auth_sign_ins_total";
/// Refresh-token rotations, by `outcome`.
pub const REFRESHES: &str = "auth_refreshes_total";

/// The `credential` label of a refusal.
pub fn credential(error: &AuthError) -> &'static str {
    match error {
        AuthError::MissingEither => "either",
        AuthError::InvalidKey(_) | AuthError::RateLimited(_) => "api_key",
        AuthError::Dpop(_) => "dpop",
        AuthError::MissingCredential(s)
        | AuthError::InvalidRequest(s, _)
        | AuthError::InsufficientScope(s, _) => match s {
            Scheme::ApiKey => "api_key",
            Scheme::Dpop => "dpop",
            _ => "jwt",
        },
        _ => "jwt",
    }
}

/// The `outcome` label of a refusal: a closed set of fixed words.
pub fn outcome(error: &AuthError) -> &'static str {
    match error {
        AuthError::MissingCredential(_) | AuthError::MissingEither => "missing",
        AuthError::InvalidRequest(..) => "malformed",
        AuthError::InvalidToken(e) | AuthError::Dpop(DpopError::Token(e)) => token_outcome(*e),
        AuthError::Dpop(DpopError::Proof(_)) => "dpop_proof",
        AuthError::Dpop(DpopError::UseNonce(_)) => "dpop_nonce",
        AuthError::InsufficientScope(..) => "insufficient_scope",
        AuthError::InvalidKey(e) => match e {
            KeyError::Unknown => "unknown_key",
            KeyError::Revoked => "revoked_key",
            KeyError::Expired => "expired",
            _ => "malformed",
        },
        AuthError::RateLimited(_) => "rate_limited",
        AuthError::CrossSite => "cross_site",
        AuthError::Unavailable => "unavailable",
        AuthError::Misconfigured(_) => "misconfigured",
        _ => "other",
    }
}

fn token_outcome(e: TokenError) -> &'static str {
    match e {
        TokenError::Expired => "expired",
        TokenError::NotYetValid | TokenError::IssuedInFuture => "not_yet_valid",
        TokenError::Signature => "bad_signature",
        TokenError::UnknownKey => "unknown_key",
        TokenError::Issuer => "issuer",
        TokenError::Audience => "audience",
        TokenError::Algorithm => "algorithm",
        TokenError::Revoked => "revoked",
        TokenError::Inactive => "inactive",
        TokenError::Bound => "bound",
        TokenError::MissingClaim => "missing_claim",
        TokenError::TooLarge => "too_large",
        TokenError::KeysUnavailable | TokenError::IntrospectionUnavailable => "unavailable",
        _ => "malformed",
    }
}

/// Count a refusal (the renderers call this for every error they render, sign-in errors
/// aside: those are counted as sign-ins and refreshes), and name it on the decision's span.
pub(crate) fn refused(error: &AuthError) {
    if matches!(error, AuthError::SignIn(_)) {
        return;
    }
    let (credential, outcome) = (credential(error), outcome(error));
    match HANDLES.get().and_then(|h| h.refused(credential, outcome)) {
        Some(counter) => counter.increment(1),
        None => metrics::counter!(REQUESTS, "credential" => credential, "outcome" => outcome)
            .increment(1),
    }
    // The span of the decision being rendered (a span without these fields ignores them).
    note(&tracing::Span::current(), credential, outcome);
}

/// Decide inside a span — `auth` at debug level, with the fields `credential` and
/// `outcome` recorded once decided (the same words as the metrics' labels), so the refusal's log event and
/// anything logged while deciding (a key-set refetch) sit under it — then count an
/// admission (refusals are counted as they are rendered) with the credential `kind` of
/// what was admitted, and record how long the decision took, as `credential` `label`.
pub(crate) fn observe<T: Send + 'static>(
    label: &'static str,
    kind: fn(&T) -> &'static str,
    decide: impl FnOnce() -> Admission<T>,
) -> Admission<T> {
    let started = Instant::now();
    let span = tracing::debug_span!(
        "auth",
        credential = tracing::field::Empty,
        outcome = tracing::field::Empty
    );
    // Entering a span no subscriber took still costs a call and the `log` fallback's checks.
    let admission = if span.is_disabled() {
        decide()
    } else {
        span.in_scope(decide)
    };
    match admission {
        Admission::Now(decision) => {
            record(&decision, started, label, kind, &span);
            Admission::Now(decision)
        }
        Admission::Later(decision) => {
            let inner = span.clone();
            Admission::Later(Box::pin(tracing::Instrument::instrument(
                async move {
                    let decision = decision.await;
                    record(&decision, started, label, kind, &inner);
                    decision
                },
                span,
            )))
        }
    }
}

fn record<T>(
    decision: &crate::guard::Decision<T>,
    started: Instant,
    label: &'static str,
    kind: fn(&T) -> &'static str,
    span: &tracing::Span,
) {
    match decision {
        Ok(Some(admitted)) => {
            let credential = kind(admitted);
            count_accepted(credential);
            note(span, credential, "accepted");
        }
        // No credential: a route that requires one refuses it as `missing` (rendered by
        // the adapter, after the span); an optional route goes on without a caller.
        Ok(None) => {
            note(span, label, "missing");
        }
        Err(_) => {}
    }
    record_latency(label, started.elapsed().as_secs_f64());
}

/// Record the decision on `span`, when a subscriber takes it: recording on a disabled span
/// still costs (the `log` fallback looks at every field) on every request.
fn note(span: &tracing::Span, credential: &'static str, outcome: &'static str) {
    if !span.is_disabled() {
        span.record("credential", credential);
        span.record("outcome", outcome);
    }
}

// The `metrics` macros build a key on every call (a label vector allocated, then hashed)
// unless the name and every label are literals: then the key is a `static` hashed at compile
// time. The two functions below run on every request, so they spell each closed label set
// out (the names are those of `REQUESTS` and `VERIFICATION_SECONDS`; the metrics tests
// scrape them by name); other labels, if any, take the general path. Even a static key is
// looked up in the recorder on every call (a registry-based exporter takes a lock and hashes
// it); once the app called [`register_metrics`], the handles taken then are used instead.

fn count_accepted(credential: &'static str) {
    if let Some(counter) = HANDLES.get().and_then(|h| h.accepted(credential)) {
        counter.increment(1);
        return;
    }
    match credential {
        "jwt" => metrics::counter!(
            "auth_requests_total", "credential" => "jwt", "outcome" => "accepted"
        ),
        "api_key" => metrics::counter!(
            "auth_requests_total", "credential" => "api_key", "outcome" => "accepted"
        ),
        "dpop" => metrics::counter!(
            "auth_requests_total", "credential" => "dpop", "outcome" => "accepted"
        ),
        other => metrics::counter!(REQUESTS, "credential" => other, "outcome" => "accepted"),
    }
    .increment(1);
}

fn record_latency(label: &'static str, seconds: f64) {
    if let Some(histogram) = HANDLES.get().and_then(|h| h.seconds(label)) {
        histogram.record(seconds);
        return;
    }
    match label {
        "jwt" => metrics::histogram!("auth_verification_seconds", "credential" => "jwt"),
        "api_key" => metrics::histogram!("auth_verification_seconds", "credential" => "api_key"),
        other => metrics::histogram!(VERIFICATION_SECONDS, "credential" => other),
    }
    .record(seconds);
}

/// The handles of every decision's counter and histogram, taken by [`register_metrics`].
static HANDLES: OnceLock<Handles> = OnceLock::new();

/// The credentials a decision admits.
const CREDENTIALS: [&str; 3] = ["jwt", "api_key", "dpop"];
/// The labels a decision is timed under (a DPoP-bound token's is `jwt`).
const TIMED: [&str; 2] = ["jwt", "api_key"];
/// The credentials of a refusal.
const REFUSED: [&str; 4] = ["jwt", "api_key", "dpop", "either"];
/// Every `outcome` of a refusal ([`outcome`]). A word missing here is still counted, by
/// lookup, as before registration; the labels test checks the words it knows are here.
const OUTCOMES: [&str; 23] = [
    "missing",
    "malformed",
    "expired",
    "not_yet_valid",
    "bad_signature",
    "unknown_key",
    "issuer",
    "audience",
    "algorithm",
    "revoked",
    "inactive",
    "bound",
    "missing_claim",
    "too_large",
    "unavailable",
    "dpop_proof",
    "dpop_nonce",
    "insufficient_scope",
    "revoked_key",
    "rate_limited",
    "cross_site",
    "misconfigured",
    "other",
];

struct Handles {
    /// `auth_requests_total{credential, outcome="accepted"}`, in the order of `CREDENTIALS`.
    accepted: [metrics::Counter; 3],
    /// `auth_verification_seconds{credential}`, in the order of `TIMED`.
    seconds: [metrics::Histogram; 2],
    /// `auth_requests_total{credential, outcome}` of refusals, by `REFUSED` then
    /// `OUTCOMES`, each taken at its first use (taken up front, the exporter would show
    /// ninety-odd series of zeros).
    refusals: [[OnceLock<metrics::Counter>; OUTCOMES.len()]; REFUSED.len()],
}

impl Handles {
    fn accepted(&self, credential: &str) -> Option<&metrics::Counter> {
        let i = CREDENTIALS.iter().position(|c| *c == credential)?;
        self.accepted.get(i)
    }

    fn seconds(&self, label: &str) -> Option<&metrics::Histogram> {
        let i = TIMED.iter().position(|c| *c == label)?;
        self.seconds.get(i)
    }

    fn refused(
        &self,
        credential: &'static str,
        outcome: &'static str,
    ) -> Option<&metrics::Counter> {
        let c = REFUSED.iter().position(|c| *c == credential)?;
        let o = OUTCOMES.iter().position(|o| *o == outcome)?;
        let slot = self.refusals.get(c)?.get(o)?;
        Some(slot.get_or_init(
            || metrics::counter!(REQUESTS, "credential" => credential, "outcome" => outcome),
        ))
    }
}

/// Describe the toolkit's metrics to the recorder installed now, and take from it the
/// handles every decision records into (a refusal's at its first use), so that no decision
/// looks its metrics up again. Call it once, right after installing the app's recorder (for example
/// `PrometheusBuilder::install_recorder`); `true` when this call took the handles, `false`
/// when an earlier call had.
///
/// Without it every metric still counts: each decision finds its counter and histogram in
/// the recorder by key. With `metrics-exporter-prometheus`, that lookup is a registry read
/// under a lock shared by every worker thread, about 0.3 µs a request on the project's
/// machine. The handles belong to the recorder in scope when this is called, so calling it
/// before a recorder is installed would keep admissions out of the one installed later:
/// install first, then register. A refusal's counter is taken the first time that
/// `credential` and `outcome` are refused; sign-ins, refreshes and key set fetches are
/// looked up as before (they are not every request).
///
/// ```
/// // The app's exporter (here a recorder that keeps what it is given) is installed first.
/// let recorder = metrics_util::debugging::DebuggingRecorder::new();
/// let snapshot = recorder.snapshotter();
/// recorder.install()?;
/// assert!(auth_core::telemetry::register_metrics());
/// assert!(!auth_core::telemetry::register_metrics(), "taken once");
/// // The described metrics, and the admissions' series, are known to the exporter.
/// let series = snapshot.snapshot().into_vec();
/// assert!(series.iter().any(|(key, _, _, _)| key.key().name() == "auth_requests_total"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn register_metrics() -> bool {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_counter!(
        REQUESTS,
        "Decisions of the authentication guards, by credential and outcome"
    );
    describe_histogram!(
        VERIFICATION_SECONDS,
        Unit::Seconds,
        "How long each authentication decision took"
    );
    describe_counter!(KEYSET_REFRESHES, "Fetches of a remote key set, by outcome");
    describe_gauge!(
        KEYSET_AGE,
        Unit::Seconds,
        "Seconds since the remote key set was last fetched"
    );
    describe_counter!(SIGN_INS, "Sign-in callbacks, by outcome");
    describe_counter!(REFRESHES, "Refresh-token rotations, by outcome");
    let mut took = false;
    HANDLES.get_or_init(|| {
        took = true;
        Handles {
            accepted: CREDENTIALS
                .map(|c| metrics::counter!(REQUESTS, "credential" => c, "outcome" => "accepted")),
            seconds: TIMED.map(|c| metrics::histogram!(VERIFICATION_SECONDS, "credential" => c)),
            refusals: Default::default(),
        }
    });
    took
}

/// Count a sign-in callback's `outcome`.
#[cfg(feature = "login")]
pub(crate) fn sign_in(outcome: &'static str) {
    metrics::counter!(SIGN_INS, "outcome" => outcome).increment(1);
}

/// Count a refresh's `outcome`.
#[cfg(feature = "login")]
pub(crate) fn refresh(outcome: &'static str) {
    metrics::counter!(REFRESHES, "outcome" => outcome).increment(1);
}

/// Count a key set fetch, and set the key set's age.
pub(crate) fn keyset_refresh(ok: bool, age_seconds: f64) {
    let outcome = if ok { "ok" } else { "error" };
    metrics::counter!(KEYSET_REFRESHES, "outcome" => outcome).increment(1);
    metrics::gauge!(KEYSET_AGE).set(age_seconds);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hot_path_counts_under_the_documented_names() {
        let recorder = metrics_util::debugging::DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            for kind in ["jwt", "api_key", "dpop", "either"] {
                count_accepted(kind);
                record_latency(kind, 0.001);
            }
        });
        let mut seen: Vec<String> = snapshotter
            .snapshot()
            .into_vec()
            .into_iter()
            .map(|(key, ..)| {
                let key = key.key();
                let labels: Vec<String> = key.labels().map(|l| l.value().to_owned()).collect();
                format!("{} {}", key.name(), labels.join(" "))
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                format!("{REQUESTS} api_key accepted"),
                format!("{REQUESTS} dpop accepted"),
                format!("{REQUESTS} either accepted"),
                format!("{REQUESTS} jwt accepted"),
                format!("{VERIFICATION_SECONDS} api_key"),
                format!("{VERIFICATION_SECONDS} dpop"),
                format!("{VERIFICATION_SECONDS} either"),
                format!("{VERIFICATION_SECONDS} jwt"),
            ]
        );
    }

    #[test]
    fn labels_are_fixed_words() {
        let cases = [
            (
                AuthError::MissingCredential(Scheme::Bearer),
                "jwt",
                "missing",
            ),
            (
                AuthError::InvalidToken(TokenError::Expired),
                "jwt",
                "expired",
            ),
            (
                AuthError::InvalidToken(TokenError::Signature),
                "jwt",
                "bad_signature",
            ),
            (
                AuthError::InvalidKey(KeyError::Revoked),
                "api_key",
                "revoked_key",
            ),
            (AuthError::RateLimited(3), "api_key", "rate_limited"),
            (AuthError::CrossSite, "jwt", "cross_site"),
            (AuthError::Dpop(DpopError::Proof("x")), "dpop", "dpop_proof"),
            (AuthError::MissingEither, "either", "missing"),
        ];
        for (error, c, o) in cases {
            assert_eq!((credential(&error), outcome(&error)), (c, o), "{error:?}");
            // Known to the registered handles' table.
            assert!(REFUSED.contains(&c) && OUTCOMES.contains(&o), "{error:?}");
        }
    }
}
