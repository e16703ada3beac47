//! One run of the interpolants lab, shared by the page (through the wasm binding) and
//! `genlab si`: the fields (exact, or learned with their trainer), the particles and where they
//! are on the time grid, and the metrics.
//!
//! Particles advance a few grid steps at a time with the ε given at that moment, so the page
//! can turn ε while they move; [`Session::set_particles`] restarts from any earlier frame.
use super::compare::{default_times, field_error, FieldError};
use super::config::{FieldsMode, InterpolantConfig};
use super::exact::ExactFields;
use super::sampler::{log_likelihood, spaced_grid, step, Direction, Fields};
use super::train::Trainer;
use crate::config::ConfigError;
use crate::data::Density;
use crate::lab::Lab;
use crate::metrics::energy::{energy_distance, noise_floor};
use crate::rng::{streams, Rng};
use serde::Serialize;

/// The run's numbers for the metrics panel.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Metrics {
    /// Energy distance of the particles to as many fresh target draws.
    pub energy_distance: f64,
    /// The same between two independent target sets: the best a perfect sampler can show.
    pub energy_distance_floor: f64,
    /// Mean ODE log-likelihood of target draws, when ρ at the start has a closed form.
    pub log_likelihood: Option<f64>,
    /// The same under the exact target density, when it has one (the value to approach).
    pub log_likelihood_exact: Option<f64>,
}

pub struct Session {
    config: InterpolantConfig,
    exact: Option<ExactFields>,
    trainer: Option<Trainer>,
    rho0: Box<dyn Density>,
    rho1: Box<dyn Density>,
    particles: Vec<f32>,
    /// Index into the time grid of the particles' current time.
    index: usize,
    grid: Vec<f64>,
    rng: Rng,
}

/// The learned fields when there is a trainer, else the exact ones.
fn followed<'a>(trainer: &'a Option<Trainer>, exact: &'a Option<ExactFields>) -> &'a dyn Fields {
    match (trainer, exact) {
        (Some(t), _) => t.model(),
        (None, Some(e)) => e,
        (None, None) => {
            unreachable!("validation ensures exact fields exist when nothing is learned")
        }
    }
}

impl Session {
    pub fn dim(&self) -> usize {
        self.rho1.dim()
    }

    /// The exact fields, when both ends are Gaussian mixtures (else `None`).
    pub fn exact(&self) -> Option<&ExactFields> {
        self.exact.as_ref()
    }

    /// The followed drift at time `t` on the points `x`, and the exact drift beside it when
    /// the followed fields are learned and exact ones exist.
    pub fn drift(&self, t: f64, x: &[f32]) -> (Vec<f32>, Option<Vec<f32>>) {
        let followed = self.fields().eval(t, x, false).0;
        let exact = self.trainer.as_ref().and(self.exact.as_ref());
        (followed, exact.map(|e| e.drift_and_score(t, x).0))
    }

    /// The fields the sampler follows.
    pub fn fields(&self) -> &dyn Fields {
        followed(&self.trainer, &self.exact)
    }

    /// The density the particles start from (ρ₀ forward, ρ₁ backward) and the one they aim at.
    fn ends(&self) -> (&dyn Density, &dyn Density) {
        match self.config.sampler.direction {
            Direction::Forward => (self.rho0.as_ref(), self.rho1.as_ref()),
            Direction::Backward => (self.rho1.as_ref(), self.rho0.as_ref()),
        }
    }

    /// Fresh start points from the data stream (the same points for the same seed), or the
    /// config's single start point.
    pub fn reset_particles(&mut self) {
        let mut rng = Rng::new(self.config.seed).stream(streams::DATA);
        self.particles = match &self.config.sampler.start {
            Some(point) => point.repeat(self.config.n),
            None => self.ends().0.sample(self.config.n, &mut rng),
        };
        self.index = 0;
        self.rng = Rng::new(self.config.seed).stream(streams::SAMPLER);
    }

    /// Puts the particles at grid index `index` (an earlier frame the page kept). The noise
    /// stream continues; a replay from the start uses [`Session::reset_particles`].
    pub fn set_particles(&mut self, points: Vec<f32>, index: usize) -> Result<(), ConfigError> {
        if points.len() != self.config.n * self.dim() || index >= self.grid.len() {
            return Err(ConfigError::new(
                "particles",
                "do not match this run's count, dimension or time grid",
            ));
        }
        self.particles = points;
        self.index = index;
        Ok(())
    }

    pub fn particles(&self) -> &[f32] {
        &self.particles
    }

    /// The grid index of the particles.
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn grid(&self) -> &[f64] {
        &self.grid
    }

    /// Advances up to `k` grid steps with noise `epsilon`; returns the steps taken (0 at the end).
    pub fn advance(&mut self, k: usize, epsilon: f64) -> usize {
        let mut taken = 0;
        while taken < k && self.index + 1 < self.grid.len() {
            let (t, t_next) = (self.grid[self.index], self.grid[self.index + 1]);
            // borrows the fields apart from the particles and the rng that the step mutates
            let fields = followed(&self.trainer, &self.exact);
            step(
                fields,
                self.config.sampler.method,
                epsilon,
                &mut self.particles,
                t,
                t_next,
                &mut self.rng,
            );
            self.index += 1;
            taken += 1;
        }
        taken
    }

    /// A box `[x0, x1, y0, y1]` holding nearly all of the mass of both ends.
    pub fn extent(&self) -> [f32; 4] {
        let (a, b) = (self.rho0.extent(), self.rho1.extent());
        [
            a[0].0.min(b[0].0),
            a[0].1.max(b[0].1),
            a[1].0.min(b[1].0),
            a[1].1.max(b[1].1),
        ]
    }

    /// Learned against exact fields (when both exist), on `n` draws of xₜ per time.
    pub fn field_error(&self, n: usize) -> Option<FieldError> {
        let (trainer, exact) = (self.trainer.as_ref()?, self.exact.as_ref()?);
        let mut rng = Rng::new(self.config.seed).stream(streams::SAMPLER);
        let (path, gamma) = (self.config.path, self.config.gamma);
        Some(field_error(
            trainer.model(),
            exact,
            self.rho0.as_ref(),
            self.rho1.as_ref(),
            path,
            gamma,
            &default_times(),
            n,
            &mut rng,
        ))
    }

    /// The metrics at the particles' current positions (meaningful at the end of the grid).
    pub fn metrics(&self, likelihood_points: usize) -> Metrics {
        let mut rng = Rng::new(self.config.seed ^ 0x5eed).stream(streams::SAMPLER);
        let (start, target) = self.ends();
        let dim = self.dim();
        let fresh = target.sample(self.config.n, &mut rng);
        let energy = energy_distance(&self.particles, &fresh, dim);
        let floor = noise_floor(target, self.config.n, 1, &mut rng);
        let x = target.sample(likelihood_points, &mut rng);
        let exact_ll = x
            .chunks_exact(dim)
            .map(|p| target.log_density(p).map(f64::from))
            .sum::<Option<f64>>();
        // log ρ₁ along the ODE needs the forward flow and ρ₀ in closed form
        let forward = self.config.sampler.direction == Direction::Forward;
        let ll = (forward && start.is_analytic()).then(|| {
            let steps = self.config.sampler.steps.clamp(20, 200);
            let ll = log_likelihood(self.fields(), &x, steps, |p| {
                start.log_density(p).unwrap_or(f32::NAN) as f64
            });
            ll.iter().sum::<f64>() / ll.len().max(1) as f64
        });
        let n = likelihood_points.max(1) as f64;
        Metrics {
            energy_distance: energy,
            energy_distance_floor: floor,
            log_likelihood: ll.filter(|v| v.is_finite()),
            log_likelihood_exact: exact_ll.map(|v| v / n),
        }
    }
}

impl Lab for Session {
    type Config = InterpolantConfig;
    type Trainer = Trainer;
    const EXACT: &'static str = "exact fields";

    /// Builds the fields (exact ones whenever both ends are Gaussian mixtures, for comparison)
    /// and draws the particles at the start of the grid.
    fn new(config: InterpolantConfig) -> Result<Self, ConfigError> {
        crate::config::Validate::validate(&config)?;
        let exact = config.exact_fields().ok();
        let trainer = (config.fields == FieldsMode::Learned)
            .then(|| Trainer::new(&config))
            .transpose()?;
        let mut s = Self {
            rho0: config.source().build()?,
            rho1: config.rho1.build()?,
            grid: spaced_grid(
                config.sampler.steps,
                config.sampler.direction,
                config.sampler.schedule,
            ),
            rng: Rng::new(config.seed).stream(streams::SAMPLER),
            exact,
            trainer,
            config,
            particles: vec![],
            index: 0,
        };
        s.reset_particles();
        Ok(s)
    }

    fn config(&self) -> &InterpolantConfig {
        &self.config
    }

    fn trainer(&self) -> Option<&Trainer> {
        self.trainer.as_ref()
    }

    fn trainer_mut(&mut self) -> Option<&mut Trainer> {
        self.trainer.as_mut()
    }
}
