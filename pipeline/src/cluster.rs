//! Words for clusters: a short label and a one-line description per cluster, read off the
//! centroids by fixed rules (never written per cluster), distinct from one another.

use music_shared::FEATURES;

/// Index of a feature in [`FEATURES`].
fn at(centroid: &[f64], name: &str) -> f64 {
    FEATURES
        .iter()
        .position(|f| *f == name)
        .map_or(0.0, |i| centroid[i])
}

/// A short label for one centroid, in the vocabulary of the original's observations page:
/// speechiness first (audiobooks and radio plays stand apart from everything), then
/// instrumentalness split by mood and by acoustic against electronic sound, then liveness,
/// acousticness and energy.
pub fn describe(centroid: &[f64]) -> &'static str {
    let (speech, instr, live) = (
        at(centroid, "speechiness"),
        at(centroid, "instrumentalness"),
        at(centroid, "liveness"),
    );
    let (acoustic, energy, valence) = (
        at(centroid, "acousticness"),
        at(centroid, "energy"),
        at(centroid, "valence"),
    );
    if speech >= 0.5 {
        "spoken word"
    } else if instr >= 0.5 && valence < 0.4 {
        "sad instrumental / orchestral"
    } else if instr >= 0.5 && acoustic >= 0.5 {
        "happier instrumental / jazz"
    } else if instr >= 0.5 {
        "electronic instrumental"
    } else if live >= 0.5 {
        "live recordings"
    } else if speech >= 0.2 {
        "rap and spoken vocals"
    } else if acoustic >= 0.6 && valence < 0.45 {
        "quiet acoustic, melancholic"
    } else if acoustic >= 0.6 {
        "upbeat acoustic"
    } else if energy >= 0.7 && valence >= 0.55 {
        "energetic, happy, danceable"
    } else if energy >= 0.7 {
        "loud and intense"
    } else if valence >= 0.55 {
        "cheerful mid-tempo"
    } else {
        "moody mid-tempo"
    }
}

/// How a feature reads when a cluster sits above (`.0`) or below (`.1`) the catalogue on it.
fn words(feature: &str) -> (&'static str, &'static str) {
    match feature {
        "energy" => ("more energetic", "calmer"),
        "speechiness" => ("wordier", "fewer words"),
        "acousticness" => ("more acoustic", "more electric"),
        "instrumentalness" => ("more instrumental", "more vocal"),
        "liveness" => ("more live", "less live"),
        "valence" => ("brighter", "darker"),
        "loudness_scale" => ("louder", "quieter"),
        "tempo_scale" => ("faster", "slower"),
        "duration_scale" => ("longer", "shorter"),
        _ => ("higher", "lower"),
    }
}

/// Labels and descriptions for every cluster.
///
/// `centroids[c]` is cluster c's centroid in [`FEATURES`] order; `mean` and `std` are the
/// catalogue's per-feature mean and standard deviation; `genre[c]` is the genre that best marks
/// cluster c (or `None`). The base label comes from [`describe`]; where two clusters would share
/// a label, each gets the word for the feature on which it stands furthest from the others with
/// that label ("moody mid-tempo, more acoustic"), and if that is not enough, its genre. The
/// description names the features furthest from the catalogue's mean, in standard deviations.
pub fn label_clusters(
    centroids: &[Vec<f64>],
    mean: &[f64],
    std: &[f64],
    genre: &[Option<String>],
) -> Vec<(String, String)> {
    let k = centroids.len();
    let z = |c: usize, f: usize| {
        if std[f] > 0.0 {
            (centroids[c][f] - mean[f]) / std[f]
        } else {
            0.0
        }
    };
    let base: Vec<&str> = centroids.iter().map(|c| describe(c)).collect();
    let mut labels: Vec<String> = base.iter().map(|b| b.to_string()).collect();
    for c in 0..k {
        let peers: Vec<usize> = (0..k).filter(|&o| base[o] == base[c]).collect();
        if peers.len() < 2 {
            continue;
        }
        // The feature on which c stands furthest from its peers' mean, in catalogue std units.
        let (f, d) = (0..FEATURES.len())
            .map(|f| {
                let peer_mean =
                    peers.iter().map(|&o| centroids[o][f]).sum::<f64>() / peers.len() as f64;
                let d = if std[f] > 0.0 {
                    (centroids[c][f] - peer_mean) / std[f]
                } else {
                    0.0
                };
                (f, d)
            })
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()).then(b.0.cmp(&a.0)))
            .unwrap_or((0, 0.0));
        let (up, down) = words(FEATURES[f]);
        labels[c] = format!("{}, {}", base[c], if d >= 0.0 { up } else { down });
    }
    // Still equal (two peers pulled the same way): the genre tells them apart.
    for c in 0..k {
        if (0..k).any(|o| o != c && labels[o] == labels[c]) {
            if let Some(g) = &genre[c] {
                labels[c] = format!("{} ({g})", labels[c]);
            }
        }
    }
    // And as a last resort, the number: labels must be distinct, whatever the data.
    for c in 0..k {
        if (0..k).any(|o| o != c && labels[o] == labels[c]) {
            labels[c] = format!("{} #{c}", labels[c]);
        }
    }
    let descriptions = (0..k)
        .map(|c| {
            let mut by: Vec<(usize, f64)> = (0..FEATURES.len()).map(|f| (f, z(c, f))).collect();
            by.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()).then(a.0.cmp(&b.0)));
            let parts: Vec<String> = by
                .iter()
                .take(3)
                .filter(|(_, z)| z.abs() >= 0.25)
                .map(|&(f, z)| {
                    let (up, down) = words(FEATURES[f]);
                    format!(
                        "{} ({z:+.1} sd {})",
                        if z >= 0.0 { up } else { down },
                        FEATURES[f]
                    )
                })
                .collect();
            let mut text = if parts.is_empty() {
                "Close to the catalogue's average on every feature".to_string()
            } else {
                format!("Against the whole catalogue: {}", parts.join(", "))
            };
            if let Some(g) = &genre[c] {
                text.push_str(&format!("; its most over-represented genre is {g}"));
            }
            text.push('.');
            text
        })
        .collect::<Vec<String>>();
    labels.into_iter().zip(descriptions).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn centroid(pairs: &[(&str, f64)]) -> Vec<f64> {
        let mut c = vec![0.3; FEATURES.len()];
        for (name, v) in pairs {
            c[FEATURES.iter().position(|f| f == name).unwrap()] = *v;
        }
        c
    }

    #[test]
    fn rules_name_the_originals_clusters() {
        assert_eq!(describe(&centroid(&[("speechiness", 0.86)])), "spoken word");
        assert_eq!(
            describe(&centroid(&[("instrumentalness", 0.83), ("valence", 0.16)])),
            "sad instrumental / orchestral"
        );
        assert_eq!(
            describe(&centroid(&[
                ("instrumentalness", 0.79),
                ("valence", 0.70),
                ("acousticness", 0.88)
            ])),
            "happier instrumental / jazz"
        );
        assert_eq!(
            describe(&centroid(&[
                ("instrumentalness", 0.75),
                ("valence", 0.47),
                ("acousticness", 0.07)
            ])),
            "electronic instrumental"
        );
    }

    #[test]
    fn labels_are_distinct_even_when_rules_agree() {
        let cs = vec![
            // Few words (the fixture's default 0.3 would read as rap).
            centroid(&[
                ("acousticness", 0.2),
                ("energy", 0.5),
                ("speechiness", 0.05),
            ]),
            centroid(&[
                ("acousticness", 0.45),
                ("energy", 0.5),
                ("speechiness", 0.05),
            ]),
            centroid(&[
                ("acousticness", 0.2),
                ("energy", 0.5),
                ("tempo_scale", 0.7),
                ("speechiness", 0.05),
            ]),
            centroid(&[("speechiness", 0.9)]),
            // Identical twins: only the genre, then the number, can tell them apart.
            centroid(&[("liveness", 0.8)]),
            centroid(&[("liveness", 0.8)]),
        ];
        let mean = vec![0.3; FEATURES.len()];
        let std = vec![0.2; FEATURES.len()];
        let genre = vec![None, None, None, Some("comedy".into()), None, None];
        let out = label_clusters(&cs, &mean, &std, &genre);
        let labels: Vec<&str> = out.iter().map(|(l, _)| l.as_str()).collect();
        for (i, a) in labels.iter().enumerate() {
            for b in &labels[i + 1..] {
                assert_ne!(a, b, "{labels:?}");
            }
        }
        assert_eq!(labels[3], "spoken word");
        assert_eq!(labels[1], "moody mid-tempo, more acoustic");
        assert_eq!(labels[2], "moody mid-tempo, faster");
        assert!(out[3].1.contains("wordier"), "{}", out[3].1);
        assert!(out[3].1.contains("comedy"), "{}", out[3].1);
    }
}
