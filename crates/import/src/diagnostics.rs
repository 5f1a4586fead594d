//! `Diagnostics`: the collector every parser reports into, capped at
//! [`MAX_PER_FILE`] per file (issue 14). A hostile file of millions of bad
//! rows would otherwise collect millions of messages, each an allocation,
//! and show a person a list nobody reads. Past the cap one last line says
//! how many more there were; it is an error if any of those was, so a file
//! whose errors were cut is refused all the same.
//!
//! It reads as the slice of what it kept (`Deref`), and `push` is the one
//! way in, so a parser's code is the same as with a `Vec`.

use serde::Serialize;

use crate::model::{Diagnostic, Severity};

/// Diagnostics kept per file, before the line counting the rest.
pub const MAX_PER_FILE: usize = 1000;

/// A file's diagnostics, at most [`MAX_PER_FILE`] plus one "N more" line.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Diagnostics {
    /// The first `MAX_PER_FILE`, then the "N more" line once there are more.
    kept: Vec<Diagnostic>,
    #[serde(skip)]
    more: usize,
    /// How many of the `more` were errors.
    #[serde(skip)]
    more_errors: usize,
}

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        if self.kept.len() < MAX_PER_FILE {
            return self.kept.push(d);
        }
        self.more += 1;
        let error = d.severity == Severity::Error;
        self.more_errors += usize::from(error);
        match self.kept.get_mut(MAX_PER_FILE) {
            Some(last) => {
                if error {
                    last.severity = Severity::Error;
                }
                last.message.clear();
            }
            None => {
                self.kept.push(Diagnostic { line: d.line, field: None, severity: d.severity, message: String::new() })
            }
        }
        // Rewritten in place: one buffer, whatever the count.
        let last = &mut self.kept[MAX_PER_FILE];
        use std::fmt::Write;
        let _ = write!(last.message, "{} more diagnostics not shown", self.more);
    }

    /// How many were reported, shown or not.
    pub fn total(&self) -> usize {
        self.kept.len().min(MAX_PER_FILE) + self.more
    }

    /// The errors and warnings cut beyond what the lines show, counting the
    /// "N more" line as one of its severity: what a caller that counts the
    /// lines adds to get the file's true counts.
    pub fn uncounted(&self) -> (usize, usize) {
        let warnings = self.more - self.more_errors;
        match (self.more_errors, warnings) {
            (0, w) => (0, w.saturating_sub(1)),
            (e, w) => (e - 1, w),
        }
    }

    /// Moves `other` (a later part of the same file) onto the end.
    pub fn append(&mut self, other: Diagnostics) {
        if self.kept.is_empty() {
            *self = other;
            return;
        }
        let (more, more_errors) = (other.more, other.more_errors);
        let summary = (other.kept.len() > MAX_PER_FILE).then(|| other.kept[MAX_PER_FILE].clone());
        for d in other.kept.into_iter().take(MAX_PER_FILE) {
            self.push(d);
        }
        // The other part's cut ones count as cut here too, each with its severity.
        if let Some(s) = summary {
            for i in 0..more {
                let severity = if i < more_errors { Severity::Error } else { Severity::Warning };
                self.push(Diagnostic { line: s.line, field: None, severity, message: String::new() });
            }
        }
    }

    /// Puts `first` (diagnostics found before these, e.g. by a splitter
    /// that ran ahead) in front, keeping the cap.
    pub fn prepend(&mut self, first: Diagnostics) {
        let rest = std::mem::replace(self, first);
        self.append(rest);
    }

    /// A kept diagnostic, to change (the CSV reader turns errors on trailing
    /// lines into footer warnings once it knows they are the last).
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Diagnostic> {
        if i < MAX_PER_FILE { self.kept.get_mut(i) } else { None }
    }

    /// Orders the kept diagnostics by line; the "N more" line stays last.
    pub fn sort_by_line(&mut self) {
        let n = self.kept.len().min(MAX_PER_FILE);
        self.kept[..n].sort_by_key(|d| d.line);
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.kept
    }
}

impl std::ops::Deref for Diagnostics {
    type Target = [Diagnostic];
    fn deref(&self) -> &[Diagnostic] {
        &self.kept
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.kept.into_iter()
    }
}

impl<'a> IntoIterator for &'a Diagnostics {
    type Item = &'a Diagnostic;
    type IntoIter = std::slice::Iter<'a, Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.kept.iter()
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(v: Vec<Diagnostic>) -> Diagnostics {
        let mut out = Diagnostics::new();
        for d in v {
            out.push(d);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn past_the_cap_one_line_counts_the_rest_and_is_an_error_if_any_was() {
        let mut d = Diagnostics::new();
        for i in 0..MAX_PER_FILE + 5 {
            d.push(Diagnostic::warning(i + 1, None, "w"));
        }
        assert_eq!(d.len(), MAX_PER_FILE + 1);
        assert_eq!(d[MAX_PER_FILE].message, "5 more diagnostics not shown");
        assert_eq!((d[MAX_PER_FILE].severity, d[MAX_PER_FILE].line), (Severity::Warning, MAX_PER_FILE + 1));
        d.push(Diagnostic::error(9999, Some("x"), "e"));
        assert_eq!(d[MAX_PER_FILE].severity, Severity::Error);
        assert_eq!(d[MAX_PER_FILE].message, "6 more diagnostics not shown");
        assert_eq!(d.total(), MAX_PER_FILE + 6);
        // Counted by its lines, the "N more" line is one error: four more
        // warnings were cut beside it.
        assert_eq!(d.uncounted(), (0, 5));
    }

    #[test]
    fn appending_parts_keeps_the_cap_and_the_count() {
        let part = |n: usize| {
            let mut d = Diagnostics::new();
            (0..n).for_each(|i| d.push(Diagnostic::error(i, None, "e")));
            d
        };
        let mut a = part(800);
        a.append(part(1500));
        assert_eq!((a.len(), a.total()), (MAX_PER_FILE + 1, 2300));
        assert_eq!(a[MAX_PER_FILE].message, "1300 more diagnostics not shown");
        let mut b = part(3);
        b.prepend(part(2));
        assert_eq!((b.len(), b.total()), (5, 5));
    }
}
