//! A named, ordered store of trainable parameters, each in an optimiser group, drawn from the
//! seeded [`Rng`] (candle's initialisers use its unseedable RNG) and saved to or loaded from
//! safetensors *bytes* (wasm has no filesystem).
//!
//! ```
//! use genlab_kernels::nn::params::{Group, Params};
//! use genlab_kernels::rng::Rng;
//! let mut p = Params::new();
//! p.uniform("w", &[2, 3], 0.5, Group::Decay, &mut Rng::new(1)).unwrap();
//! p.zeros("b", &[2], Group::NoDecay).unwrap();
//! let bytes = p.to_safetensors().unwrap();
//! let mut q = Params::new();
//! q.zeros("w", &[2, 3], Group::Decay).unwrap();
//! q.zeros("b", &[2], Group::NoDecay).unwrap();
//! q.load_safetensors(&bytes).unwrap();
//! assert_eq!(p.get("w").unwrap().to_vec2::<f32>().unwrap(), q.get("w").unwrap().to_vec2::<f32>().unwrap());
//! assert!(q.load_safetensors(b"not a weights file").is_err());
//! ```
use crate::rng::Rng;

/// The largest weight a file may hold. The largest in any shipped preset is 6.8 (a QLAE
/// codebook; the others stay below 5): 10⁴ leaves room for longer or bolder training, and
/// refuses values (10²⁰, 3·10³⁸) that are finite yet turn the first layers' outputs into
/// infinities and the samples into NaN.
pub const MAX_WEIGHT: f32 = 1e4;
use candle_core::{DType, Device, Error, Result, Tensor, Var};

/// Which optimiser group a parameter belongs to (e.g. QLAE: weights decay, biases and
/// codebooks do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Group {
    Decay,
    NoDecay,
}

/// Trainable parameters in creation order.
#[derive(Default)]
pub struct Params {
    entries: Vec<(String, Var, Group)>,
}

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter with the given initial value.
    pub fn add(&mut self, name: &str, init: Tensor, group: Group) -> Result<Tensor> {
        if self.entries.iter().any(|(n, _, _)| n == name) {
            return Err(Error::Msg(format!("parameter `{name}` is defined twice")));
        }
        let var = Var::from_tensor(&init.to_dtype(DType::F32)?)?;
        let t = var.as_tensor().clone();
        self.entries.push((name.to_string(), var, group));
        Ok(t)
    }

    /// Adds a parameter drawn from U[−bound, bound).
    pub fn uniform(
        &mut self,
        name: &str,
        shape: &[usize],
        bound: f32,
        group: Group,
        rng: &mut Rng,
    ) -> Result<Tensor> {
        let init = rng.uniform_tensor(shape, -bound, bound, &Device::Cpu)?;
        self.add(name, init, group)
    }

    /// Adds a zero-initialised parameter.
    pub fn zeros(&mut self, name: &str, shape: &[usize], group: Group) -> Result<Tensor> {
        self.add(name, Tensor::zeros(shape, DType::F32, &Device::Cpu)?, group)
    }

    pub fn get(&self, name: &str) -> Option<&Tensor> {
        self.entries
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v.as_tensor())
    }

    /// The variables of one group, for its optimiser.
    pub fn group(&self, group: Group) -> Vec<Var> {
        self.entries
            .iter()
            .filter(|(_, _, g)| *g == group)
            .map(|(_, v, _)| v.clone())
            .collect()
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _, _)| n.as_str())
    }

    /// Total number of scalar parameters.
    pub fn count(&self) -> usize {
        self.entries.iter().map(|(_, v, _)| v.elem_count()).sum()
    }

    /// A copy of every value, for [`Params::restore`].
    pub fn snapshot(&self) -> Result<Vec<Tensor>> {
        // detached: a copy of a variable would otherwise keep a backprop link to it
        self.entries
            .iter()
            .map(|(_, v, _)| v.as_tensor().detach().copy())
            .collect()
    }

    /// Sets every value back to a [`Params::snapshot`] of these parameters.
    pub fn restore(&self, snapshot: &[Tensor]) -> Result<()> {
        if snapshot.len() != self.entries.len() {
            return Err(Error::Msg("snapshot of other parameters".into()));
        }
        self.entries
            .iter()
            .zip(snapshot)
            .try_for_each(|((_, v, _), s)| v.set(s))
    }

    /// All parameters as a safetensors file in memory.
    pub fn to_safetensors(&self) -> Result<Vec<u8>> {
        self.to_safetensors_with(
            &self
                .entries
                .iter()
                .map(|(_, v, _)| v.as_tensor().clone())
                .collect::<Vec<_>>(),
        )
    }

    /// These parameters' names with other values (a [`Params::snapshot`], e.g. an average of
    /// the weights) as a safetensors file in memory.
    pub fn to_safetensors_with(&self, values: &[Tensor]) -> Result<Vec<u8>> {
        if values.len() != self.entries.len() {
            return Err(Error::Msg("values of other parameters".into()));
        }
        let tensors: Vec<(&str, &Tensor)> = self
            .entries
            .iter()
            .zip(values)
            .map(|((n, _, _), t)| (n.as_str(), t))
            .collect();
        safetensors::serialize(tensors, None)
            .map_err(|e| Error::Msg(format!("cannot write weights: {e}")))
    }

    /// Replaces every parameter's value from safetensors bytes. The file must hold each
    /// parameter with its exact shape as finite f32 values within ±[`MAX_WEIGHT`]; nothing
    /// changes unless all fit.
    pub fn load_safetensors(&mut self, bytes: &[u8]) -> Result<()> {
        // the header is parsed and only this model's tensors are copied out: a file with
        // extra tensors costs no more memory than its bytes
        let file = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| Error::Msg(format!("not a valid safetensors weights file ({e})")))?;
        let mut loaded = std::collections::HashMap::new();
        for (name, var, _) in &self.entries {
            let view = file.tensor(name).map_err(|_| {
                Error::Msg(format!(
                    "the weights file has no tensor `{name}`: it was made for another model"
                ))
            })?;
            if view.dtype() != safetensors::Dtype::F32 {
                return Err(Error::Msg(format!(
                    "tensor `{name}` is {:?}; expected f32",
                    view.dtype()
                )));
            }
            if view.shape() != var.dims() {
                return Err(Error::Msg(format!(
                    "tensor `{name}` has shape {:?}; this model needs {:?}",
                    view.shape(),
                    var.dims()
                )));
            }
            let t = Tensor::from_raw_buffer(view.data(), DType::F32, view.shape(), &Device::Cpu)?;
            let values = t.flatten_all()?.to_vec1::<f32>()?;
            if values.iter().any(|v| !v.is_finite()) {
                return Err(Error::Msg(format!(
                    "tensor `{name}` holds NaN or infinite values: the file is corrupt"
                )));
            }
            if let Some(v) = values.iter().find(|v| v.abs() > MAX_WEIGHT) {
                return Err(Error::Msg(format!(
                    "tensor `{name}` holds {v:e}; trained weights stay within ±{MAX_WEIGHT:e}, \
                     so the file is corrupt or was not trained"
                )));
            }
            loaded.insert(name.as_str(), t);
        }
        for (name, var, _) in &self.entries {
            var.set(&loaded[name.as_str()])?;
        }
        Ok(())
    }
}
