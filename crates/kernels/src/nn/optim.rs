//! AdamW over parameter groups: one learning rate, weight decay only on the decay group
//! (the no-decay group is plain Adam), and optionally an element-wise gradient clip on the
//! decay group (QLAE's `optax.chain(clip, adamw)`).
//!
//! The update is candle's `AdamW::step` (decoupled weight decay, β = (0.9, 0.999), ε = 10⁻⁸)
//! fused into one in-place pass per parameter: candle runs a dozen tensor ops per parameter,
//! each allocating, which in the browser cost about as much as the network's matmuls. The
//! arithmetic is candle's, in the same order, so the results are bit-identical (tested).
//!
//! ```
//! use genlab_kernels::nn::{optim::GroupedAdamW, params::{Group, Params}};
//! use genlab_kernels::rng::Rng;
//! let mut p = Params::new();
//! let w = p.uniform("w", &[4], 1.0, Group::Decay, &mut Rng::new(0)).unwrap();
//! let mut opt = GroupedAdamW::new(&p, 0.1, 0.0).unwrap();
//! let before = w.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
//! for _ in 0..20 { opt.backward_step(&w.sqr().unwrap().sum_all().unwrap()).unwrap(); }
//! let after = w.sqr().unwrap().sum_all().unwrap().to_scalar::<f32>().unwrap();
//! assert!(after < 0.5 * before);
//! ```
use super::params::{Group, Params};
use candle_core::{CpuStorage, Error, InplaceOp2, Layout, Result, Tensor, Var};
use std::cell::RefCell;

/// The learning rate at `step` of `total`: `lr` throughout when `end` is `None`, else a cosine
/// from `lr` down to `end` over the run (our setting; the papers keep lr constant).
pub fn cosine_lr(lr: f64, end: Option<f64>, step: usize, total: usize) -> f64 {
    match end {
        None => lr,
        Some(end) => {
            let progress = (step as f64 / total.max(1) as f64).min(1.0);
            end + (lr - end) * (1.0 + (std::f64::consts::PI * progress).cos()) / 2.0
        }
    }
}

const BETA1: f64 = 0.9;
const BETA2: f64 = 0.999;
const EPS: f64 = 1e-8;

/// One parameter with its first and second moments.
struct Slot {
    var: Var,
    decay: bool,
    m: Vec<f32>,
    v: Vec<f32>,
}

pub struct GroupedAdamW {
    slots: Vec<Slot>,
    lr: f64,
    weight_decay: f64,
    clip: Option<f64>,
    step_t: i32,
}

impl GroupedAdamW {
    /// Adam with learning rate `lr`; the decay group also decays by `weight_decay`.
    pub fn new(params: &Params, lr: f64, weight_decay: f64) -> Result<Self> {
        let slot = |var: Var, decay| {
            let n = var.elem_count();
            Slot {
                var,
                decay,
                m: vec![0.0; n],
                v: vec![0.0; n],
            }
        };
        let mut slots: Vec<Slot> = params
            .group(Group::Decay)
            .into_iter()
            .map(|v| slot(v, true))
            .collect();
        slots.extend(
            params
                .group(Group::NoDecay)
                .into_iter()
                .map(|v| slot(v, false)),
        );
        Ok(Self {
            slots,
            lr,
            weight_decay,
            clip: None,
            step_t: 0,
        })
    }

    /// Clips each gradient element of the decay group to [−clip, clip] before its step.
    pub fn with_clip(mut self, clip: f64) -> Self {
        self.clip = Some(clip);
        self
    }

    /// Each parameter's first and second moments (decay group first), for inspection.
    pub fn moments(&self) -> impl Iterator<Item = (&[f32], &[f32])> {
        self.slots.iter().map(|s| (s.m.as_slice(), s.v.as_slice()))
    }

    /// Forgets the moments and the step count, as a fresh optimiser over the same parameters
    /// (after a divergence or when weights are loaded).
    pub fn restart(&mut self) {
        for slot in &mut self.slots {
            slot.m.fill(0.0);
            slot.v.fill(0.0);
        }
        self.step_t = 0;
    }

    pub fn set_learning_rate(&mut self, lr: f64) {
        self.lr = lr;
    }

    /// Backpropagates `loss` and updates both groups.
    pub fn backward_step(&mut self, loss: &Tensor) -> Result<()> {
        let grads = loss.backward()?;
        self.step_t += 1;
        for slot in &mut self.slots {
            let Some(g) = grads.get(&slot.var) else {
                continue;
            };
            let g = g.contiguous()?;
            let step = AdamStep {
                lr: self.lr,
                weight_decay: if slot.decay { self.weight_decay } else { 0.0 },
                clip: if slot.decay { self.clip } else { None },
                step_t: self.step_t,
                moments: RefCell::new((&mut slot.m, &mut slot.v)),
            };
            slot.var.inplace_op2(&g, &step)?;
        }
        Ok(())
    }
}

/// A moment that has decayed below f32's normal range, as 0. A parameter whose gradient stays
/// 0 (a pixel that is never on, a dead unit) has m and v shrink by β each step, and v crosses
/// the subnormal range over ~16,000 steps, where x86 takes each float op on it through a slow
/// microcode path (natively, 10,000 steps of the sprites AE ran 2.3× slower). Flushed, they cannot
/// change the update: m below 2⁻¹²⁶ moves θ by under lr·10⁻³⁰, and √v below 10⁻¹⁹ vanishes
/// beside ε.
fn flush(x: f32) -> f32 {
    if x.abs() < f32::MIN_POSITIVE {
        0.0
    } else {
        x
    }
}

/// One parameter's update, written into the parameter's own storage.
struct AdamStep<'a> {
    lr: f64,
    weight_decay: f64,
    clip: Option<f64>,
    step_t: i32,
    moments: RefCell<(&'a mut Vec<f32>, &'a mut Vec<f32>)>,
}

impl InplaceOp2 for AdamStep<'_> {
    fn name(&self) -> &'static str {
        "adamw-step"
    }

    fn cpu_fwd(
        &self,
        s1: &mut CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> Result<()> {
        let (CpuStorage::F32(theta), CpuStorage::F32(g)) = (s1, s2) else {
            return Err(Error::Msg(
                "adamw-step: parameters and gradients must be f32".into(),
            ));
        };
        let (Some((t0, t1)), Some((g0, g1))) = (l1.contiguous_offsets(), l2.contiguous_offsets())
        else {
            return Err(Error::Msg(
                "adamw-step: parameters and gradients must be contiguous".into(),
            ));
        };
        let (theta, g) = (&mut theta[t0..t1], &g[g0..g1]);
        let mut moments = self.moments.borrow_mut();
        let (m, v) = &mut *moments;
        if theta.len() != g.len() || theta.len() != m.len() {
            return Err(Error::Msg(
                "adamw-step: gradient and parameter sizes differ".into(),
            ));
        }
        // candle's AdamW::step: each scalar is formed in f64 and cast to f32 where candle casts
        // it, and `tensor * s` is candle's affine op `x·s + 0`.
        let f = |x: f64| x as f32;
        let scaled = |x: f32, s: f32| x * s + 0.0;
        let (b1, one_b1, b2, one_b2) = (f(BETA1), f(1.0 - BETA1), f(BETA2), f(1.0 - BETA2));
        let scale_m = f(1.0 / (1.0 - BETA1.powi(self.step_t)));
        let scale_v = f(1.0 / (1.0 - BETA2.powi(self.step_t)));
        let keep = f(1.0 - self.lr * self.weight_decay);
        let (lr, eps) = (f(self.lr), f(EPS));
        let (lo, hi) = self
            .clip
            .map_or((f32::NEG_INFINITY, f32::INFINITY), |c| (f(-c), f(c)));
        for (((theta, &g), m), v) in theta.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            // candle's clamp (maximum, then minimum); ±∞ when there is no clip
            let g = if g < lo { lo } else { g };
            let g = if g > hi { hi } else { g };
            *m = flush(scaled(*m, b1) + scaled(g, one_b1));
            *v = flush(scaled(*v, b2) + scaled(g * g, one_b2));
            let adjusted = scaled(*m, scale_m) / (scaled(*v, scale_v).sqrt() + eps);
            *theta = scaled(*theta, keep) - scaled(adjusted, lr);
        }
        Ok(())
    }
}
