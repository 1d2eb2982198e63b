//! `Debug` output without secrets: what the redacted `Debug` impls of types that carry a
//! token, a code, a cookie or a client secret print in their place. Written here rather
//! than taken from `secrecy`: those types keep plain `String` fields (the adapters fill
//! them), and only their `Debug` needs to change.

use std::fmt;

/// Prints `<redacted>`.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// `Some(<redacted>)` or `None`: whether a secret is there, never what it is.
#[cfg_attr(not(feature = "login"), allow(dead_code))]
pub(crate) fn presence<T>(value: &Option<T>) -> Option<Redacted> {
    value.as_ref().map(|_| Redacted)
}

/// A query string or form body shown by its parameter names only (`code`, `state`, ...).
pub(crate) struct ParamNames<'a>(pub(crate) &'a str);

impl fmt::Debug for ParamNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.0
                    .split('&')
                    .filter(|p| !p.is_empty())
                    .map(|p| p.split('=').next().unwrap_or_default()),
            )
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_only() {
        let shown = format!("{:?}", ParamNames("code=secret-code&state=s3cr3t&iss=x"));
        assert_eq!(shown, r#"["code", "state", "iss"]"#);
        assert_eq!(format!("{:?}", presence(&Some("t"))), "Some(<redacted>)");
    }
}
