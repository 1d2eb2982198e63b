//! The fuzz smoke: every fuzz target's body over its committed corpus (`fuzz/corpus/`, as
//! `cargo fuzz cmin` left it) and over the inputs of every crash or divergence it found
//! (`fuzz/regressions/`, kept apart so that no minimisation drops them), on every test run.
//! The coverage-guided runs themselves: FUZZING.md.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;

#[test]
fn every_fuzz_target_replays_its_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    for (name, target) in auth_tests::fuzz::TARGETS {
        let dir = root.join("corpus").join(name);
        let regressions = std::fs::read_dir(root.join("regressions").join(name))
            .into_iter()
            .flatten();
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .chain(regressions)
        {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let outcome = std::panic::catch_unwind(|| target(&data));
            assert!(outcome.is_ok(), "{name}: {} fails", path.display());
            inputs += 1;
        }
        assert!(inputs > 0, "{name}: an empty corpus");
    }
}
