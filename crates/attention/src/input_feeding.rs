//! **Input feeding**, an option of the encoder-decoder (Luong, Pham &
//! Manning 2015; the slides' "sometimes we take the attention output from
//! the previous step, and also feed it into the decoder"): the decoder cell
//! reads the previous step's attention output beside the previous target,
//!
//! `s_t = f(s_{t−1}, [y_{t−1}; a_{t−1}])`, `a_0 = 0`,
//!
//! so the decoder knows where it looked and what it read one step ago. The
//! decoder cell's input grows from `V` to `V + n` rows; everything else is
//! [`Seq2Seq`] as before. In the backward pass, `∂L/∂a_t` gets a second
//! term: the rows of the decoder's input gradient at step `t + 1` that
//! belong to `a_t` ([`Seq2Seq::backward`]). [`crate::Translator`] decodes
//! either kind: its state carries `a_{t−1}`. Not an exercise;
//! gradient-checked. Book: `attention/seq2seq.md#input-feeding`.

use crate::seq2seq::{Context, Seq2Seq};
use datasets::one_hot;
use foundations::ops::stack_rows;
use foundations::{Error, Mat, Rng, init};
use vanilla_rnn_bptt::RecurrentCell;

impl<C: RecurrentCell> Seq2Seq<C> {
    /// A model with input feeding: like [`Seq2Seq::new`], but the decoder
    /// cell reads `[y_{t−1}; a_{t−1}]`, so its input size must be `V + n`.
    ///
    /// # Errors
    /// [`Error::Config`] when the hidden sizes differ, `V` is zero, or the
    /// decoder's input is not `V + n` rows.
    pub fn new_input_feeding(
        encoder: C,
        decoder: C,
        target_vocab: usize,
        context: Context,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        let f = "Seq2Seq::new_input_feeding";
        let n = encoder.hidden_size();
        if decoder.hidden_size() != n {
            return Err(Error::config(
                f,
                format!(
                    "encoder has n = {n} but decoder n = {}: the decoder \
                     starts from the encoder's last state",
                    decoder.hidden_size()
                ),
            ));
        }
        if target_vocab == 0 || decoder.input_size() != target_vocab + n {
            return Err(Error::config(
                f,
                format!(
                    "decoder input size {} must be V + n = {target_vocab} + \
                     {n} (the previous target and the previous attention \
                     output), V ≥ 1",
                    decoder.input_size()
                ),
            ));
        }
        Ok(Seq2Seq {
            encoder,
            decoder,
            w_o: init::xavier(target_vocab, 2 * n, rng),
            b_o: Mat::zeros(target_vocab, 1),
            context,
        })
    }

    /// Whether the decoder reads `[y_{t−1}; a_{t−1}]` (input feeding): its
    /// input is `V + n` rows rather than `V`.
    pub fn feeds_input(&self) -> bool {
        self.decoder.input_size() == self.w_o.nrows() + self.hidden_size()
    }

    /// The decoder's input at one step for a batch: the previous targets
    /// one-hot (`V x B`), stacked on `a_{t−1}` (`n x B`) with input feeding.
    pub fn decoder_input(&self, prev: &[usize], a_prev: &Mat) -> Mat {
        // ANCHOR: decoder_input
        let y = one_hot(prev, self.w_o.nrows());
        if self.feeds_input() {
            stack_rows(&y, a_prev) // [y_{t−1}; a_{t−1}]
        } else {
            y
        }
        // ANCHOR_END: decoder_input
    }
}
