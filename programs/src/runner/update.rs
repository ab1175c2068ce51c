//! `bitloom test --update`: apply the edits the failed checks propose to their expectation
//! files (exit code, trap kind, registers, CSRs, inline `values`, failing `min`/`max`
//! bounds) and rewrite exact `.npy` references, keeping the files' comments and layout
//! (toml_edit). Tolerance and SQNR checks against float references are never rewritten:
//! those references are ground truth, not recordings.

use std::collections::BTreeMap;
use std::path::PathBuf;

use toml_edit::{Array, DocumentMut, Item, Value};

use super::check::{Key, NewValue, Update};
use super::npy;

fn value(v: &NewValue) -> Option<Value> {
    Some(match v {
        NewValue::Int(i) => Value::from(*i),
        NewValue::Str(s) => Value::from(s.as_str()),
        NewValue::Ints(xs) => {
            let mut a = Array::new();
            let long = xs.len() > 16;
            for (i, x) in xs.iter().enumerate() {
                let mut v = Value::from(*x);
                let prefix = match (long, i % 16, i) {
                    (true, 0, _) => "\n    ",
                    (_, _, 0) => "",
                    _ => " ",
                };
                v.decor_mut().set_prefix(prefix);
                a.push_formatted(v);
            }
            if long {
                a.set_trailing_comma(true);
                a.set_trailing("\n");
            }
            Value::Array(a)
        }
        NewValue::Npy { .. } => return None,
    })
}

fn slot<'a>(item: &'a mut Item, key: &[Key]) -> Option<&'a mut Item> {
    let Some((first, rest)) = key.split_first() else {
        return Some(item);
    };
    match first {
        Key::Name(n) => {
            let t = item.as_table_like_mut()?;
            if t.get(n).is_none() {
                if !rest.is_empty() {
                    return None;
                }
                t.insert(n, Item::None);
            }
            slot(t.get_mut(n)?, rest)
        }
        Key::Index(ix) => {
            let tab = item.as_array_of_tables_mut()?.get_mut(*ix)?;
            let (Key::Name(n), rest) = rest.split_first()? else {
                return None;
            };
            slot(tab.get_mut(n)?, rest)
        }
    }
}

/// Apply `updates` (from any number of tests); returns one line per change made, or the
/// errors met (files that cannot be read, parsed or written).
pub fn apply(updates: &[Update]) -> (Vec<String>, Vec<String>) {
    let mut by_file: BTreeMap<PathBuf, Vec<&Update>> = BTreeMap::new();
    let mut done = Vec::new();
    let mut errors = Vec::new();
    for u in updates {
        if let NewValue::Npy { path, shape, data } = &u.new {
            match npy::write_i64(path, shape, data) {
                Ok(()) => done.push(format!("{}: {}", u.file.display(), u.what)),
                Err(e) => errors.push(e),
            }
        } else {
            by_file.entry(u.file.clone()).or_default().push(u);
        }
    }
    for (file, ups) in by_file {
        let text = match super::expect::read_text(&file) {
            Ok(t) => t,
            Err(e) => {
                errors.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let mut doc: DocumentMut = match text.parse() {
            Ok(d) => d,
            Err(e) => {
                errors.push(format!("{}: {e}", file.display()));
                continue;
            }
        };
        let mut changed = false;
        for u in ups {
            let Some(v) = value(&u.new) else { continue };
            match slot(doc.as_item_mut(), &u.key) {
                Some(item) => {
                    let decor = item.as_value().map(|old| old.decor().clone());
                    let mut v = v;
                    if let Some(d) = decor {
                        *v.decor_mut() = d;
                    }
                    *item = Item::Value(v);
                    changed = true;
                    done.push(format!("{}: {}", file.display(), u.what));
                }
                None => errors.push(format!(
                    "{}: cannot find the key for `{}`",
                    file.display(),
                    u.what
                )),
            }
        }
        if changed {
            if let Err(e) = std::fs::write(&file, doc.to_string()) {
                errors.push(format!("{}: {e}", file.display()));
            }
        }
    }
    (done, errors)
}
