//! Integration tests of the categorisation engine (SPEC C4): rules, merchant
//! normalisation, the learning categoriser and its evaluation.

#[path = "../../../testing/corpus.rs"]
mod corpus;

mod categorize {
    mod merchant;
    mod model;
    mod rules;
}
