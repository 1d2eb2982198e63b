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
    ] {
        // Spelled in pieces, so this file does not name them either.
        for outside in [concat!("DEMO", ".md"), concat!("shared", "/")] {
            assert!(!text.contains(outside), "{name} mentions {outside}");
        }
    }
}
