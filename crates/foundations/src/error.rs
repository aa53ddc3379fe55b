//! Errors shared by every crate: configurations that cannot work and
//! training that diverged.

/// What can go wrong when a layer or model is built, or while training.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Error {
    /// A configuration that cannot work, caught when it is built.
    #[error("{layer}: invalid configuration: {reason}")]
    Config {
        /// The layer or model being built.
        layer: String,
        /// Why it cannot work, and what would.
        reason: String,
    },
    /// A loss that is NaN or infinite: training stops.
    #[error("non-finite loss {loss} at step {step}: training stopped")]
    NonFiniteLoss {
        /// The training step at which it happened.
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// Input data that cannot be used (an unknown character, an empty
    /// sequence or corpus).
    #[error("{0}")]
    Data(String),
}

impl Error {
    /// A [`Error::Config`] for `layer` with `reason`.
    pub fn config(layer: &str, reason: impl Into<String>) -> Self {
        Error::Config {
            layer: layer.to_string(),
            reason: reason.into(),
        }
    }
}

/// Returns `loss` if it is finite.
///
/// # Errors
/// [`Error::NonFiniteLoss`] when `loss` is NaN or ±∞.
pub fn ensure_finite(loss: f64, step: usize) -> Result<f64, Error> {
    if loss.is_finite() {
        Ok(loss)
    } else {
        Err(Error::NonFiniteLoss { step, loss })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nan_loss_is_an_error_naming_the_step() {
        let e = ensure_finite(f64::NAN, 17).unwrap_err();
        assert!(e.to_string().contains("step 17"), "{e}");
        assert_eq!(ensure_finite(2.5, 0), Ok(2.5));
        assert!(ensure_finite(f64::INFINITY, 3).is_err());
    }
}
