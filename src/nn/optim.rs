//! AdamW over parameter groups: one learning rate, weight decay only on the decay group
//! (the no-decay group is plain Adam), and optionally an element-wise gradient clip on the
//! decay group (QLAE's `optax.chain(clip, adamw)`). candle's `ParamsAdamW::default()` decays
//! by 0.01, so both groups set their decay explicitly.
//!
//! ```
//! use genlab::nn::{optim::GroupedAdamW, params::{Group, Params}};
//! use genlab::rng::Rng;
//! let mut p = Params::new();
//! let w = p.uniform("w", &[4], 1.0, Group::Decay, &mut Rng::new(0)).unwrap();
//! let mut opt = GroupedAdamW::new(&p, 0.1, 0.0).unwrap();
//! let before = w.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
//! for _ in 0..20 { opt.backward_step(&w.sqr().unwrap().sum_all().unwrap()).unwrap(); }
//! let after = w.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
//! assert!(after < 0.5 * before);
//! ```
use super::params::{Group, Params};
use candle_core::{Result, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};

pub struct GroupedAdamW {
    decay: AdamW,
    no_decay: AdamW,
    decay_vars: Vec<candle_core::Var>,
    clip: Option<f64>,
}

impl GroupedAdamW {
    /// Adam with learning rate `lr`; the decay group also decays by `weight_decay`.
    pub fn new(params: &Params, lr: f64, weight_decay: f64) -> Result<Self> {
        let p = |weight_decay| ParamsAdamW { lr, weight_decay, ..ParamsAdamW::default() };
        Ok(Self {
            decay: AdamW::new(params.group(Group::Decay), p(weight_decay))?,
            no_decay: AdamW::new(params.group(Group::NoDecay), p(0.0))?,
            decay_vars: params.group(Group::Decay),
            clip: None,
        })
    }

    /// Clips each gradient element of the decay group to [−clip, clip] before its step.
    pub fn with_clip(mut self, clip: f64) -> Self {
        self.clip = Some(clip);
        self
    }

    pub fn set_learning_rate(&mut self, lr: f64) {
        self.decay.set_learning_rate(lr);
        self.no_decay.set_learning_rate(lr);
    }

    /// Backpropagates `loss` and updates both groups.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let mut grads = loss.backward()?;
        if let Some(clip) = self.clip {
            for var in &self.decay_vars {
                if let Some(g) = grads.remove(var) {
                    grads.insert(var, g.clamp(-clip, clip)?);
                }
            }
        }
        self.decay.step(&grads)?;
        self.no_decay.step(&grads)
    }
}
