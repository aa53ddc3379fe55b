//! # benches — the course's criterion benchmarks
//!
//! One package holds every topic's benchmark (`benches/*.rs`), so that
//! criterion is built only by `cargo bench`, never by a topic's tests:
//!
//! | bench | topic | what it times |
//! |---|---|---|
//! | `conv` | fc-and-conv | convolution, reference loops vs im2col |
//! | `pooling_train_step` | pooling | one training step of the ConvNet |
//! | `rnn_step` | vanilla-rnn-bptt | forward + backward over 25 characters, fast path and engine |
//! | `lstm_step` | lstm-gru | one LSTM engine step; a fast training chunk |
//! | `attention_train_step` | attention | one seq2seq training step |
//! | `transformer_block` | transformer | one block's forward + backward; a GPT training step |
//!
//! Run one with `cargo bench -p benches --features criterion --bench lstm_step`. The numpy
//! references the speed examples compare against stay beside their topic
//! (`crates/<topic>/benches/*.py`).
