//! The three v2 tables' names.

/// Default table names, as the original deployment called them.
pub const TABLE_TRACKS: &str = "Music_ML3";
pub const TABLE_TRACKS_WITH_IDS: &str = "Music_ML_IDs";
pub const TABLE_ASSIGNMENTS: &str = "Music_ML_Assignments";

/// The three table names, configurable so that several deployments (or tests) can share one
/// account or one local DynamoDB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableNames {
    pub tracks: String,
    pub track_ids: String,
    pub assignments: String,
}

impl Default for TableNames {
    fn default() -> Self {
        TableNames {
            tracks: TABLE_TRACKS.to_string(),
            track_ids: TABLE_TRACKS_WITH_IDS.to_string(),
            assignments: TABLE_ASSIGNMENTS.to_string(),
        }
    }
}

impl TableNames {
    /// The same names with `prefix` in front (the SAM template's `TablePrefix`).
    pub fn prefixed(&self, prefix: &str) -> Self {
        TableNames {
            tracks: format!("{prefix}{}", self.tracks),
            track_ids: format!("{prefix}{}", self.track_ids),
            assignments: format!("{prefix}{}", self.assignments),
        }
    }
}

/// The table names as every binary that reaches the tables takes them: a flag, else the
/// `MUSIC_ML_TABLE_*` variable (the SAM template sets them), else the original's name. An empty
/// or blank value counts as unset.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TableArgs {
    /// The v2.0 titles table (default Music_ML3).
    #[arg(
        long = "tracks-table",
        env = "MUSIC_ML_TABLE_TRACKS",
        value_name = "NAME"
    )]
    pub tracks: Option<String>,
    /// The v2.1 titles table (default Music_ML_IDs).
    #[arg(
        long = "track-ids-table",
        env = "MUSIC_ML_TABLE_TRACK_IDS",
        value_name = "NAME"
    )]
    pub track_ids: Option<String>,
    /// The cluster assignments table (default Music_ML_Assignments).
    #[arg(
        long = "assignments-table",
        env = "MUSIC_ML_TABLE_ASSIGNMENTS",
        value_name = "NAME"
    )]
    pub assignments: Option<String>,
}

impl TableArgs {
    /// The names, defaults filled in.
    pub fn names(&self) -> TableNames {
        self.names_with(|_, name, _| name)
    }

    /// The names, `prefix` in front of each that was not given on the command line (`matches`
    /// says where each value came from): the batch writer's `--table-prefix` applies to the
    /// variables and the defaults, never to a name spelled out as a flag.
    pub fn names_prefixed(&self, prefix: &str, matches: &clap::ArgMatches) -> TableNames {
        self.names_with(|id, name, given| {
            if given && matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine) {
                name
            } else {
                format!("{prefix}{name}")
            }
        })
    }

    /// `rename(argument id, name, whether a non-blank value was given)` on each name.
    fn names_with(&self, rename: impl Fn(&str, String, bool) -> String) -> TableNames {
        let defaults = TableNames::default();
        let pick = |id: &str, given: &Option<String>, default: String| match given
            .as_deref()
            .map(str::trim)
        {
            Some(name) if !name.is_empty() => rename(id, name.to_string(), true),
            _ => rename(id, default, false),
        };
        TableNames {
            tracks: pick("tracks", &self.tracks, defaults.tracks),
            track_ids: pick("track_ids", &self.track_ids, defaults.track_ids),
            assignments: pick("assignments", &self.assignments, defaults.assignments),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_take_a_prefix() {
        let names = TableNames::default().prefixed("test_");
        assert_eq!(names.track_ids, "test_Music_ML_IDs");
        assert_eq!(names.assignments, "test_Music_ML_Assignments");
    }

    #[test]
    fn blank_names_fall_back_to_the_originals() {
        let args = TableArgs {
            tracks: Some("  ".into()),
            track_ids: Some(" ids ".into()),
            assignments: None,
        };
        assert_eq!(
            args.names(),
            TableNames {
                tracks: TABLE_TRACKS.into(),
                track_ids: "ids".into(),
                assignments: TABLE_ASSIGNMENTS.into(),
            }
        );
    }
}
