//! Image captioning as on the slides: a CNN encodes the image into a
//! feature vector `v`, and a recurrent decoder writes the caption one
//! character at a time,
//!
//! `h_t = tanh(W_xh x_t + W_hh h_{t−1} + W_ih v + b_h)`, with `v` given at
//! the first step only, `x_t` the one-hot previous character (`<START>`
//! first), `ŷ_t = softmax(W_hy h_t + b_y)`,
//!
//! sampled until it writes `<END>`. The caption of a digit image is the
//! digit's English word (`seven`). The CNN (the `pooling` crate's ConvNet,
//! trained first) is held fixed, as the slides advise; only the decoder is
//! trained here.
//!
//! The decoder is the vanilla RNN engine cell of `vanilla-rnn-bptt`: its
//! input is the column `[x_t; v_t]` with `v_t = v` at `t = 1` and `0`
//! after, so its input matrix `U = [W_xh  W_ih]` holds both of the slide's
//! matrices. `W_xh x_t` with `x_t` one-hot is column `x_t` of `W_xh`: the
//! slides' word embedding, folded into the cell. The cell's bias `b_h` is
//! not on the slide; with one-hot inputs it changes nothing the model can
//! express (`b_h + W_xh e_j` is column `j` of `W_xh + b_h 1ᵀ`). The loss is
//! the slide's `−Σ_i Σ_t log p_t(S_{i,t})` over a batch, divided by `B`.
//! Book: `attention/captioning.md`.

use crate::decode::Decoder;
use datasets::Vocab;
use datasets::dates::{END, START};
use datasets::one_hot;
use foundations::ops::stack_rows;
use foundations::shape::{Dim, expect_shape};
use foundations::softmax::{Reduction, cross_entropy, log_softmax_columns};
use foundations::{DMatrix, Error, Mat, Params, Rng};
use vanilla_rnn_bptt::{
    Output, RecurrentCell, RecurrentModel, RnnCell, sequence_backward,
    sequence_forward,
};

/// The caption of each digit class.
pub const WORDS: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
    "nine",
];

/// The caption vocabulary: `<PAD>`, `<START>`, `<END>`, then the 15 letters
/// the ten words use (18 ids).
pub fn caption_vocab() -> Vocab {
    let mut letters: Vec<char> = WORDS.iter().flat_map(|w| w.chars()).collect();
    letters.sort_unstable();
    letters.dedup();
    Vocab::with_specials(&letters).expect("non-empty")
}

/// The caption of class `label` as ids, ending with `<END>`.
///
/// # Panics
/// When `label > 9`.
pub fn caption_ids(label: usize) -> Vec<usize> {
    let mut ids = caption_vocab().encode(WORDS[label]).expect("letters");
    ids.push(END);
    ids
}

/// The decoder: a vanilla RNN cell over `[x_t; v_t]` and its output layer.
#[derive(Debug, Clone, PartialEq)]
pub struct Captioner {
    /// `cell.u = [W_xh  W_ih]` (`n x (V + F)`), `cell.w = W_hh`,
    /// `cell.b = b_h` (not on the slide), `out.v = W_hy`, `out.c = b_y`.
    pub rnn: RecurrentModel<RnnCell>,
    /// `F`, the size of the image feature vector.
    pub features: usize,
}

impl Params for Captioner {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        self.rnn.visit(f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        self.rnn.visit_mut(f);
    }
}

impl Captioner {
    /// A decoder for `F = features`, hidden size `n`, vocabulary `V`.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        features: usize,
        hidden: usize,
        vocab: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        if features == 0 || vocab == 0 {
            return Err(Error::config(
                "Captioner::new",
                format!("F = {features} and V = {vocab} must be ≥ 1"),
            ));
        }
        let cell = RnnCell::new(vocab + features, hidden, rng)?;
        let out = Output::new(hidden, vocab, rng)?;
        Ok(Captioner {
            rnn: RecurrentModel::new(cell, out)?,
            features,
        })
    }

    /// `V`, the vocabulary size.
    pub fn vocab(&self) -> usize {
        self.rnn.outputs()
    }

    /// The input column `[x_t; v_t]` for every example of a batch: one-hot
    /// `tokens`, and the features `v` (`F x B`) when `first`, else zeros.
    pub fn input(&self, tokens: &[usize], v: &Mat, first: bool) -> Mat {
        let x = one_hot(tokens, self.vocab());
        if first {
            stack_rows(&x, v)
        } else {
            stack_rows(&x, &Mat::zeros(self.features, tokens.len()))
        }
    }

    /// The loss `L = (1/B) Σ_b Σ_t −log ŷ_t[y_t]` of a batch under teacher
    /// forcing, and its gradient. `v` is `F x B`; `captions` are `B` id
    /// sequences of one length, each ending with `<END>`.
    ///
    /// # Panics
    /// When `v` is not `F x B` or the captions are empty or ragged.
    pub fn loss_and_grads(
        &self,
        v: &Mat,
        captions: &[Vec<usize>],
    ) -> (f64, Captioner) {
        let b = captions.len();
        expect_shape(
            "Captioner::loss_and_grads",
            "v",
            v,
            Dim::Is(self.features),
            Dim::Is(b),
        );
        let t_len = captions[0].len();
        assert!(
            t_len > 0 && captions.iter().all(|c| c.len() == t_len),
            "Captioner::loss_and_grads: captions must be non-empty and of \
             one length"
        );
        // ANCHOR: caption_forward
        // x_1 = [<START>; v], x_t = [y_{t−1}; 0] (teacher forcing)
        let xs: Vec<Mat> = (0..t_len)
            .map(|t| {
                let prev: Vec<usize> = captions
                    .iter()
                    .map(|c| if t == 0 { START } else { c[t - 1] })
                    .collect();
                self.input(&prev, v, t == 0)
            })
            .collect();
        let h0 = self.rnn.cell.zero_state(b);
        let (os, cache) = sequence_forward(&self.rnn, &h0, &xs);
        let mut loss = 0.0;
        let mut d_os = Vec::with_capacity(t_len);
        for (t, o) in os.iter().enumerate() {
            let y: Vec<usize> = captions.iter().map(|c| c[t]).collect();
            // −Σ_b log p_t(S_{b,t}), divided by B here (∂L/∂o_t with it)
            let (l, d_o) = cross_entropy(o, &y, Reduction::MeanBy(b as f64));
            loss += l;
            d_os.push(Some(d_o));
        }
        // BPTT through the decoder; the CNN is fixed, so ∂L/∂v stops here
        let (grads, _, _) = sequence_backward(&self.rnn, &cache, &d_os, None);
        // ANCHOR_END: caption_forward
        let grads = Captioner {
            rnn: grads,
            features: self.features,
        };
        (loss, grads)
    }
}

/// A trained [`Captioner`] with one image's features, as a [`Decoder`]
/// (greedy, sampling and beam search run on it).
#[derive(Debug, Clone)]
pub struct CaptionDecoder<'a> {
    captioner: &'a Captioner,
    v: Mat,
}

impl<'a> CaptionDecoder<'a> {
    /// The decoder for features `v` (`F x 1`).
    ///
    /// # Panics
    /// When `v` is not `F x 1`.
    pub fn new(captioner: &'a Captioner, v: &Mat) -> Self {
        expect_shape(
            "CaptionDecoder::new",
            "v",
            v,
            Dim::Is(captioner.features),
            Dim::Is(1),
        );
        CaptionDecoder {
            captioner,
            v: v.clone(),
        }
    }
}

impl Decoder for CaptionDecoder<'_> {
    /// `h` and whether the next step is the first.
    type State = (Mat, bool);
    fn initial(&self) -> (Mat, bool) {
        (self.captioner.rnn.cell.zero_state(1), true)
    }
    fn start_token(&self) -> usize {
        START
    }
    fn end_token(&self) -> usize {
        END
    }
    fn step(
        &self,
        state: &(Mat, bool),
        token: usize,
    ) -> ((Mat, bool), Vec<f64>) {
        let rnn = &self.captioner.rnn;
        let x = self.captioner.input(&[token], &self.v, state.1);
        let (h, _) = rnn.cell.step_forward(&state.0, &x);
        let o = &rnn.out.v * &h + &rnn.out.c;
        let log_p = log_softmax_columns(&o).as_slice().to_vec();
        ((h, false), log_p)
    }
}
