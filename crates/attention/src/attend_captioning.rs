//! "Show, attend and tell" (Xu et al. 2015) on the digits: instead of
//! seeing the image once, the decoder attends over the `R` regions of a
//! convolutional feature map at every step,
//!
//! `z_t = Σ_r α_{t,r} f_r`, `α_t = softmax(s_t)`,
//! `s_{t,r} = wᵀ tanh(W_q h_{t−1} + W_k f_r)` (additive scoring: `h` and
//! `f_r` have different sizes), then
//! `h_t = tanh(W_hh h_{t−1} + W_xh x_t + W_zh z_t)`,
//! `ŷ_t = softmax(W_hy h_t + b_y)`.
//!
//! The RNN engine cell reads `[x_t; z_t]`; the backward pass runs BPTT by
//! hand, sending each step's `∂L/∂z_t` back through the attention into
//! `h_{t−1}` (the query) and into the scoring parameters. The feature map
//! is fixed (no gradient into the CNN).
//! Book: `attention/captioning.md#show-attend-and-tell`.

use crate::additive::{Additive, AdditiveCache};
use crate::decode::Decoder;
use datasets::dates::{END, START};
use datasets::one_hot;
use foundations::ops::{add_bias, stack_rows, sum_columns};
use foundations::params::{visit_child, visit_child_mut};
use foundations::softmax::{Reduction, cross_entropy, log_softmax_columns};
use foundations::{DMatrix, Error, Mat, Params, ParamsExt, Rng};
use vanilla_rnn_bptt::{Output, RecurrentCell, RnnCell, RnnCellCache};

/// The decoder with attention over image regions.
#[derive(Debug, Clone, PartialEq)]
pub struct AttendCaptioner {
    /// The RNN cell over `[x_t; z_t]` (`u = [W_xh  W_zh]`, `w = W_hh`).
    pub cell: RnnCell,
    /// Additive scoring of a region `f_r` (`K`) against `h_{t−1}` (`n`).
    pub attn: Additive,
    /// `W_hy`, `b_y`.
    pub out: Output,
}

impl Params for AttendCaptioner {
    fn visit(&self, f: &mut dyn FnMut(&str, &DMatrix<f64>)) {
        visit_child("cell", &self.cell, f);
        visit_child("attn", &self.attn, f);
        visit_child("out", &self.out, f);
    }
    fn visit_mut(&mut self, f: &mut dyn FnMut(&str, &mut DMatrix<f64>)) {
        visit_child_mut("cell", &mut self.cell, f);
        visit_child_mut("attn", &mut self.attn, f);
        visit_child_mut("out", &mut self.out, f);
    }
}

struct Step {
    att: Vec<AdditiveCache>,
    cell: RnnCellCache,
    h: Mat,
}

impl AttendCaptioner {
    /// Regions of `K` numbers, hidden size `n`, vocabulary `V`, `a` scoring
    /// units.
    ///
    /// # Errors
    /// [`Error::Config`] when a size is zero.
    pub fn new(
        k: usize,
        n: usize,
        vocab: usize,
        a: usize,
        rng: &mut Rng,
    ) -> Result<Self, Error> {
        Ok(AttendCaptioner {
            cell: RnnCell::new(vocab + k, n, rng)?,
            attn: Additive::new(n, k, a, rng)?,
            out: Output::new(n, vocab, rng)?,
        })
    }

    fn vocab(&self) -> usize {
        self.out.v.nrows()
    }

    /// One step for a batch: attention of every `h_{t−1}` column over its
    /// image's regions (`K x R` each), the cell, the logits.
    fn step(
        &self,
        h_prev: &Mat,
        regions: &[Mat],
        tokens: &[usize],
    ) -> (Mat, Step, Mat) {
        let k = self.attn.w_k.ncols();
        let b = tokens.len();
        let mut z = Mat::zeros(k, b);
        let mut att = Vec::with_capacity(b);
        let mut alphas = Mat::zeros(regions[0].ncols(), b);
        for c in 0..b {
            let q = h_prev.columns(c, 1).into_owned();
            // z_t = Σ_r α_r f_r with α = softmax(wᵀ tanh(W_q h + W_k f_r))
            let (z_c, cache) = self.attn.forward(&q, &regions[c], &regions[c]);
            z.column_mut(c).copy_from(&z_c);
            alphas.column_mut(c).copy_from(&cache.p);
            att.push(cache);
        }
        let x = stack_rows(&one_hot(tokens, self.vocab()), &z); // [x_t; z_t]
        let (h, cell) = self.cell.step_forward(h_prev, &x);
        let o = add_bias(&self.out.v * &h, &self.out.c);
        (o, Step { att, cell, h }, alphas)
    }

    /// The teacher-forced loss `(1/B) Σ_b Σ_t −log ŷ_t[y_t]` and its
    /// gradient. `regions[b]` is image `b`'s `K x R` feature map; captions
    /// are of one length and end with `<END>`.
    ///
    /// # Panics
    /// When the batch is empty or ragged, or the sizes do not fit.
    pub fn loss_and_grads(
        &self,
        regions: &[Mat],
        captions: &[Vec<usize>],
    ) -> (f64, AttendCaptioner) {
        let b = captions.len();
        assert!(
            b > 0 && regions.len() == b,
            "AttendCaptioner::loss_and_grads: {} images for {b} captions",
            regions.len()
        );
        let t_len = captions[0].len();
        let n = self.cell.hidden_size();
        let mut h = Mat::zeros(n, b);
        let mut steps = Vec::with_capacity(t_len);
        let mut d_os = Vec::with_capacity(t_len);
        let mut loss = 0.0;
        for t in 0..t_len {
            let prev: Vec<usize> = captions
                .iter()
                .map(|c| if t == 0 { START } else { c[t - 1] })
                .collect();
            let (o, step, _) = self.step(&h, regions, &prev);
            let y: Vec<usize> = captions.iter().map(|c| c[t]).collect();
            let (l, d_o) = cross_entropy(&o, &y, Reduction::MeanBy(b as f64));
            loss += l;
            h = step.h.clone();
            steps.push(step);
            d_os.push(d_o);
        }
        let mut g = self.zeros_like();
        let v = self.vocab();
        let k = self.attn.w_k.ncols();
        let mut d_next = Mat::zeros(n, b);
        // ANCHOR: attend_caption_backward
        for (step, d_o) in steps.iter().zip(&d_os).rev() {
            // forward: o_t = W_hy h_t + b_y
            g.out.v += d_o * step.h.transpose();
            g.out.c += sum_columns(d_o);
            let d_h = self.out.v.transpose() * d_o + &d_next;
            // forward: h_t = tanh(W_hh h_{t−1} + U [x_t; z_t] + b)
            let (gc, mut d_prev, d_x) =
                self.cell.step_backward(&step.cell, &d_h);
            g.cell.accumulate(&gc);
            // forward: z_t = attention(query h_{t−1}, regions): its
            // gradient reaches the scoring parameters and h_{t−1}
            for (c, cache) in step.att.iter().enumerate() {
                let d_z = d_x.view((v, c), (k, 1)).into_owned();
                let (ga, d_q, _, _) = self.attn.backward(cache, &d_z);
                g.attn.accumulate(&ga);
                let mut col = d_prev.column_mut(c);
                col += d_q.column(0);
            }
            d_next = d_prev;
        }
        // ANCHOR_END: attend_caption_backward
        (loss, g)
    }
}

/// One image's regions with a trained [`AttendCaptioner`], as a
/// [`Decoder`]; [`AttendCaptionDecoder::greedy_with_attention`] also
/// returns where each character looked.
#[derive(Debug, Clone)]
pub struct AttendCaptionDecoder<'a> {
    model: &'a AttendCaptioner,
    regions: Mat,
}

impl<'a> AttendCaptionDecoder<'a> {
    /// The decoder for one `K x R` feature map.
    pub fn new(model: &'a AttendCaptioner, regions: &Mat) -> Self {
        AttendCaptionDecoder {
            model,
            regions: regions.clone(),
        }
    }

    /// Greedy decoding; row `t` of the matrix is `α_t` over the `R`
    /// regions for output character `t`.
    pub fn greedy_with_attention(&self, max_len: usize) -> (Vec<usize>, Mat) {
        let mut h = self.initial();
        let mut token = START;
        let mut out = Vec::new();
        let mut rows = Vec::new();
        while out.len() < max_len {
            let regions = std::slice::from_ref(&self.regions);
            let (o, step, alpha) = self.model.step(&h, regions, &[token]);
            let lp = log_softmax_columns(&o);
            token = lp.column(0).argmax().0;
            rows.push(alpha.column(0).into_owned());
            out.push(token);
            h = step.h;
            if token == END {
                break;
            }
        }
        let r = self.regions.ncols();
        (out, Mat::from_fn(rows.len(), r, |t, i| rows[t][i]))
    }
}

impl Decoder for AttendCaptionDecoder<'_> {
    type State = Mat;
    fn initial(&self) -> Mat {
        Mat::zeros(self.model.cell.hidden_size(), 1)
    }
    fn start_token(&self) -> usize {
        START
    }
    fn end_token(&self) -> usize {
        END
    }
    fn step(&self, h: &Mat, token: usize) -> (Mat, Vec<f64>) {
        let regions = std::slice::from_ref(&self.regions);
        let (o, step, _) = self.model.step(h, regions, &[token]);
        (step.h, log_softmax_columns(&o).as_slice().to_vec())
    }
}
