//! Every preset speaks to a learner from one source: the `note` in its preset file, which the
//! page, the gallery and `genlab presets` all read. Each note says what you see, what the paper
//! found and two or three things to try, and none narrates how the preset was made (that is
//! docs/reproducing.md's job).
use genlab::config::preset_note;
use std::process::Command;

/// Every lab's (name, preset JSON) list.
fn labs() -> [(&'static str, &'static [(&'static str, &'static str)]); 3] {
    [
        ("si", genlab::interpolant::presets::PRESETS),
        ("halluc", genlab::halluc::presets::PRESETS),
        ("qlae", genlab::qlae::presets::PRESETS),
    ]
}

/// Words about the making of a preset, which belong in the docs, not in the page.
const MAKING: [&str; 8] = [
    "minute",
    " core",
    "cpu",
    "machine",
    "chromium",
    "the cli",
    "hours",
    "trained with",
];

#[test]
fn every_preset_has_a_note_for_learners() {
    for (lab, presets) in labs() {
        for (name, _) in presets {
            let note =
                preset_note(presets, name).unwrap_or_else(|| panic!("{lab}/{name}: no note"));
            let texts: Vec<&String> = [&note.see, &note.paper]
                .into_iter()
                .chain(&note.r#try)
                .collect();
            assert!(
                (2..=3).contains(&note.r#try.len()),
                "{lab}/{name}: {} things to try",
                note.r#try.len()
            );
            for text in texts {
                let chars = text.chars().count();
                assert!(
                    (10..=300).contains(&chars),
                    "{lab}/{name}: {chars} characters: {text}"
                );
                let lower = text.to_lowercase();
                let making = MAKING.iter().find(|w| lower.contains(*w));
                assert!(
                    making.is_none(),
                    "{lab}/{name} tells how it was made ({making:?}): {text}"
                );
            }
        }
    }
}

#[test]
fn genlab_presets_lists_each_preset_with_what_it_shows() {
    let out = Command::new(env!("CARGO_BIN_EXE_genlab"))
        .arg("presets")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (lab, presets) in labs() {
        let section = text
            .split(&format!("{lab}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no {lab}"));
        for (name, _) in presets {
            let see = preset_note(presets, name).unwrap().see;
            let line = section
                .lines()
                .find(|l| l.trim_start().starts_with(&format!("{name} ")));
            let line = line.unwrap_or_else(|| panic!("{lab}/{name} missing:\n{text}"));
            assert!(line.ends_with(&see), "{lab}/{name}: {line}");
        }
    }
}
