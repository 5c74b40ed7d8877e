//! Test support for the "never panics on hostile input" properties of the codecs (`tfplugin::msgpack`,
//! `tfplugin::json_state`, `tfplugin::value`) and the rule parsers (`rules`).
//!
//! Every such property lives in a test module named `hostile`, so `cargo test --lib ::hostile::` selects them all.
//! `cargo test` runs each with a small, bounded number of cases; `make fuzz` runs the same properties with
//! `PROPTEST_CASES` set high. A failure prints the smallest input proptest shrank it to; turn that into a plain
//! regression test next to the code it broke.
//!
//! Random bytes or text rarely get past the first check of a parser, so besides them the properties feed
//! *mutations* of valid input ([`mutations`], [`apply`]): a few edits (overwrite, insert, delete, duplicate,
//! truncate) at random positions, with inserts drawn from a per-format dictionary of fragments that matter to that
//! parser (a 32-bit length marker, an unknown value, `\ud800`, `%RAND:`). That reaches deep into a parser while
//! still breaking it in every place. Test-only and generic over the element type (bytes or characters), so the
//! codecs and the rules share one mutator without depending on each other.

use proptest::prelude::*;
use proptest::sample::Index;

/// The cases a never-panic property runs: `PROPTEST_CASES` when set (as `make fuzz` does), else `default`, which
/// keeps `cargo test` quick.
pub(crate) fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        // A failure is fixed with a plain regression test beside the code, not with a seed file in the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// One edit of a sequence. Positions are [`Index`]es, resolved against the length at the time the edit applies.
#[derive(Debug, Clone)]
pub(crate) enum Mutation<T> {
    Overwrite(Index, T),
    Insert(Index, Vec<T>),
    Delete(Index, usize),
    /// Copies a run of the sequence to another position (repeats a header, a key, a nesting level).
    Duplicate {
        from: Index,
        len: usize,
        to: Index,
    },
    Truncate(Index),
}

/// One to four edits, inserting elements from `element` or runs from `fragments`.
pub(crate) fn mutations<T: Clone + std::fmt::Debug + 'static>(
    element: impl Strategy<Value = T> + Clone + 'static,
    fragments: impl Strategy<Value = Vec<T>> + 'static,
) -> impl Strategy<Value = Vec<Mutation<T>>> {
    let one = prop_oneof![
        3 => (any::<Index>(), element.clone()).prop_map(|(at, item)| Mutation::Overwrite(at, item)),
        2 => (any::<Index>(), prop::collection::vec(element, 1..4))
            .prop_map(|(at, items)| Mutation::Insert(at, items)),
        3 => (any::<Index>(), fragments).prop_map(|(at, items)| Mutation::Insert(at, items)),
        2 => (any::<Index>(), 1..8usize).prop_map(|(at, len)| Mutation::Delete(at, len)),
        1 => (any::<Index>(), 1..32usize, any::<Index>())
            .prop_map(|(from, len, to)| Mutation::Duplicate { from, len, to }),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ];
    prop::collection::vec(one, 1..5)
}

/// A run from a fixed dictionary, as the `fragments` of [`mutations`].
pub(crate) fn fragment<T: Clone + std::fmt::Debug + 'static>(
    dictionary: &'static [&'static [T]],
) -> impl Strategy<Value = Vec<T>> + Clone {
    prop::sample::select(dictionary).prop_map(<[T]>::to_vec)
}

/// The characters of a dictionary of strings, as the `fragments` of [`mutations`] over text.
pub(crate) fn text_fragment(
    dictionary: &'static [&'static str],
) -> impl Strategy<Value = Vec<char>> + Clone {
    prop::sample::select(dictionary).prop_map(|text| text.chars().collect())
}

/// Applies `edits` in order. Never fails: an edit of an empty sequence inserts or does nothing.
pub(crate) fn apply<T: Clone>(items: &mut Vec<T>, edits: &[Mutation<T>]) {
    for edit in edits {
        // An insert position may be one past the end; every other position names an element.
        let insert_at = |at: &Index, len: usize| at.index(len + 1);
        match edit {
            Mutation::Insert(at, new) => {
                let at = insert_at(at, items.len());
                items.splice(at..at, new.iter().cloned());
            }
            _ if items.is_empty() => {}
            Mutation::Overwrite(at, item) => {
                let at = at.index(items.len());
                items[at] = item.clone();
            }
            Mutation::Delete(at, len) => {
                let start = at.index(items.len());
                let end = (start + len).min(items.len());
                items.drain(start..end);
            }
            Mutation::Duplicate { from, len, to } => {
                let start = from.index(items.len());
                let run: Vec<T> = items[start..(start + len).min(items.len())].to_vec();
                let at = insert_at(to, items.len());
                items.splice(at..at, run);
            }
            Mutation::Truncate(at) => {
                let len = at.index(items.len());
                items.truncate(len);
            }
        }
    }
}

/// [`apply`] to the characters of `text`.
pub(crate) fn apply_to_text(text: &str, edits: &[Mutation<char>]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    apply(&mut chars, edits);
    chars.into_iter().collect()
}

/// Characters worth inserting into text: mostly ASCII (what parsers branch on), sometimes anything, including
/// whitespace of every kind and characters whose case mapping changes their length.
pub(crate) fn hostile_char() -> impl Strategy<Value = char> + Clone {
    prop_oneof![
        6 => (0x20u8..0x7f).prop_map(char::from),
        1 => prop::sample::select(&['\t', '\n', '\r', '\u{0}', '\u{a0}', '\u{2028}', '\u{3000}', 'İ', 'ß', 'é', '\u{feff}'][..]),
        1 => any::<char>(),
    ]
}
