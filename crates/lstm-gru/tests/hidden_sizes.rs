//! Hidden tests (never in the student version; `cargo course grade` runs
//! them, Gradescope shows them after the due date): the two step backward
//! passes on sizes larger than any visible test draws, where an index that
//! mixes up `n`, `D` and `B` cannot hide behind a coincidence of small
//! sizes. Same module names as the exercises; the checks are the graded
//! ones (`common/mod.rs`).

mod common;

mod lstm_step_backward {
    #[test]
    fn matches_numeric_gradients_with_n_7_d_5_b_4() {
        crate::common::check_lstm_step(7, 5, 4, 1);
    }
}

mod gru_step_backward {
    #[test]
    fn matches_numeric_gradients_with_n_6_d_5_b_3() {
        crate::common::check_gru_step(6, 5, 3, 10);
    }
}
