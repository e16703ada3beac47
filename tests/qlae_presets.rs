//! The shipped latent-quantization weights: each loads into its preset's model, and the shipped
//! QLAE is more disentangled than the shipped AE on both datasets (InfoM by at least 0.1, InfoE
//! higher), the paper's claim at our browser scale. Takes about a minute (the AE's k-NN estimates).
use genlab::lab::Trainer as _;
use genlab::qlae::eval::{evaluate, Evaluation};
use genlab::qlae::presets::{preset, SHIPPED};
use genlab::qlae::train::Trainer;

fn shipped(name: &str) -> Evaluation {
    let config = preset(name).unwrap();
    let bytes = std::fs::read(format!(
        "{}/www/models/qlae/{name}.safetensors",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let mut trainer = Trainer::new(&config).unwrap();
    trainer.load_weights(&bytes, config.train.steps).unwrap();
    evaluate(trainer.model(), &config).unwrap()
}

#[test]
fn every_shipped_qlae_is_more_disentangled_than_its_ae() {
    assert_eq!(SHIPPED.len(), 4);
    for data in ["sprites", "shapes3d"] {
        let (q, a) = (
            shipped(&format!("{data}-qlae")),
            shipped(&format!("{data}-ae")),
        );
        assert!(q.discrete && !a.discrete);
        assert!(
            q.infom - a.infom >= 0.1,
            "{data}: InfoM {} vs {}",
            q.infom,
            a.infom
        );
        assert!(
            q.infoe > a.infoe,
            "{data}: InfoE {} vs {}",
            q.infoe,
            a.infoe
        );
        assert!(
            q.psnr > 15.0 && a.psnr > 15.0,
            "{data}: PSNR {} and {}",
            q.psnr,
            a.psnr
        );
    }
}
