use super::{Family, Route};

pub const ROUTES: &[Route] = &[];
#[allow(dead_code)]
const FAMILY: Family = Family::V1;
