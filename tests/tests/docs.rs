//! The crate docs and the README are one text: each crate's `README.md` (its rustdoc front
//! page, through `include_str!`) is a section of the repository's README, word for word.

#[test]
fn each_crate_readme_is_a_section_of_the_readme() {
    let readme = include_str!("../../README.md");
    for (crate_name, text) in [
        ("auth-core", include_str!("../../auth-core/README.md")),
        ("auth-axum", include_str!("../../auth-axum/README.md")),
        ("auth-actix", include_str!("../../auth-actix/README.md")),
    ] {
        // Past the crate's title and one-line summary, the text is the README's.
        let body = text.splitn(3, "\n\n").nth(2).unwrap_or_default().trim();
        assert!(!body.is_empty(), "{crate_name}/README.md has no body");
        assert!(
            readme.contains(body),
            "{crate_name}/README.md differs from its README section"
        );
    }
}

#[test]
fn no_document_points_outside_the_repository() {
    for (name, text) in [
        ("README.md", include_str!("../../README.md")),
        ("SECURITY.md", include_str!("../../SECURITY.md")),
        ("docs/demo.md", include_str!("../../docs/demo.md")),
        ("docs/errors.md", include_str!("../../docs/errors.md")),
        ("docs/security.md", include_str!("../../docs/security.md")),
        ("docs/scale.md", include_str!("../../docs/scale.md")),
    ] {
        // Spelled in pieces, so this file does not name them either.
        for outside in [concat!("DEMO", ".md"), concat!("shared", "/")] {
            assert!(!text.contains(outside), "{name} mentions {outside}");
        }
    }
}

/// Every test `docs/security.md` names exists (a renamed test cannot leave a stale proof).
#[test]
fn the_security_page_names_tests_that_exist() -> std::io::Result<()> {
    fn sources(dir: &std::path::Path, out: &mut String) -> std::io::Result<()> {
        for entry in std::fs::read_dir(dir)? {
            let path = entry?.path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if path.is_dir() && !name.starts_with('.') && name != "target" && name != "node_modules"
            {
                sources(&path, out)?;
            } else if name.ends_with(".rs") {
                out.push_str(&std::fs::read_to_string(&path)?);
            }
        }
        Ok(())
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut code = String::new();
    for dir in [
        "auth-core",
        "auth-axum",
        "auth-actix",
        "auth-cli",
        "auth-redis",
        "auth-postgres",
        "examples",
        "tests",
    ] {
        sources(&root.join(dir), &mut code)?;
    }
    let page = include_str!("../../docs/security.md");
    let mut checked = 0;
    for name in page.split('`').skip(1).step_by(2) {
        // Test names: three or more lower-case words joined by `_` (a `*` ends a family).
        let name = name.trim_end_matches('*').trim_end_matches('_');
        let words = name.split('_').count();
        if words < 3
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            continue;
        }
        assert!(
            code.contains(&format!("fn {name}")),
            "docs/security.md names {name}, which no test defines"
        );
        checked += 1;
    }
    assert!(checked > 50, "only {checked} test names found");
    Ok(())
}
