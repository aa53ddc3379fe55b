//! # course — the course CLI as a library
//!
//! The modules behind `cargo course` (see `main.rs`), public so that the
//! workspace tests (`tests/tests/exercises.rs`) check the manifests, markers
//! and the student release with the same code the CLI runs.

pub mod agree;
pub mod answers;
pub mod book;
pub mod build;
pub mod check;
pub mod class;
pub mod equations;
pub mod exercise;
pub mod exercise_pages;
pub mod figures;
pub mod grade;
pub mod gradescope;
pub mod hint;
pub mod links;
pub mod manifest;
pub mod mathml_guard;
pub mod progress;
pub mod reset;
pub mod runner;
pub mod rustsrc;
pub mod serve;
pub mod student;
#[cfg(test)]
mod testutil;
pub mod verify;
pub mod workspace;
