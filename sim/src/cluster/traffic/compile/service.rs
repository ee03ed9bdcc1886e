//! A Service as a traffic source: requests go uniformly to its ready endpoints.

use super::super::model::{Route, Rule};
use super::super::weighted::Weighted;
use super::{BackendRef, Compiled, SourceSpec};

pub(super) fn compile(out: &mut Compiled<'_>) {
    let services = out.inputs.services.clone();
    for service in &services {
        let Some((rps, headers)) = out.source_settings("Service", &service.metadata) else {
            continue;
        };
        let backend = BackendRef {
            namespace: service.metadata.namespace.clone().unwrap_or_default(),
            service: service.metadata.name.clone().unwrap_or_default(),
            subset: None,
        };
        let spec = SourceSpec {
            kind: "Service",
            meta: &service.metadata,
            headers,
            routes: vec![Route {
                rules: vec![Rule::unconditional(Weighted::new([(0, 1)]))],
            }],
            backends: vec![backend],
        };
        out.add(rps, spec);
    }
}
