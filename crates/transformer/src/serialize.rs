//! Saving and loading a model as JSON: its [`Config`] and every named
//! parameter matrix (`rows`, `cols`, column-major `data`).

use crate::model::{Config, Gpt};
use foundations::{Error, Params, rng};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Serialize, Deserialize)]
struct Matrix {
    rows: usize,
    cols: usize,
    data: Vec<f64>,
}

#[derive(Serialize, Deserialize)]
struct Saved {
    config: Config,
    params: BTreeMap<String, Matrix>,
}

/// The model as a JSON string.
pub fn to_json(model: &Gpt) -> String {
    let mut params = BTreeMap::new();
    model.visit(&mut |name, m| {
        let data = m.as_slice().to_vec();
        params.insert(
            name.to_string(),
            Matrix {
                rows: m.nrows(),
                cols: m.ncols(),
                data,
            },
        );
    });
    let saved = Saved {
        config: model.config,
        params,
    };
    serde_json::to_string(&saved).expect("a model always serialises")
}

/// A model from [`to_json`]'s string.
///
/// # Errors
/// [`Error::Data`] when the JSON is malformed, a parameter is missing or has
/// the wrong shape; [`Error::Config`] when the saved sizes cannot work.
pub fn from_json(json: &str) -> Result<Gpt, Error> {
    let saved: Saved = serde_json::from_str(json)
        .map_err(|e| Error::Data(format!("model JSON: {e}")))?;
    let mut model = Gpt::new(saved.config, &mut rng(0))?;
    let mut problem = None;
    model.visit_mut(&mut |name, m| match saved.params.get(name) {
        Some(s) if (s.rows, s.cols) == m.shape() && s.data.len() == m.len() => {
            m.as_mut_slice().copy_from_slice(&s.data);
        }
        Some(s) => {
            problem = Some(format!(
                "model JSON: {name} is {}x{}, expected {}x{}",
                s.rows,
                s.cols,
                m.nrows(),
                m.ncols()
            ));
        }
        None => problem = Some(format!("model JSON: no parameter {name}")),
    });
    match problem {
        Some(p) => Err(Error::Data(p)),
        None => Ok(model),
    }
}
