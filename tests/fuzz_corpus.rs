//! Replays the committed fuzz corpus (`fuzz/corpus/<target>/`) through the entry points the
//! cargo-fuzz targets call (`fuzz/targets.rs`), so every input the fuzzer kept, findings
//! included, runs in CI without cargo-fuzz: each must return, never panic.

mod common;
#[path = "../fuzz/targets.rs"]
mod targets;

type Target = fn(&[u8]);

#[test]
fn every_corpus_input_returns_without_a_panic() {
    let all: [(&str, Target); 4] = [
        ("checkpoint", targets::checkpoint),
        ("idx", targets::idx),
        ("model_config", targets::model_config),
        ("api_args", targets::api_args),
    ];
    for (name, target) in all {
        let dir = common::repo().join("fuzz/corpus").join(name);
        let mut inputs = 0;
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let run = std::panic::catch_unwind(|| target(&bytes));
            assert!(run.is_ok(), "{name}: {} panics", path.display());
            inputs += 1;
        }
        assert!(inputs >= 2, "{name}: {inputs} inputs in {}", dir.display());
    }
}
