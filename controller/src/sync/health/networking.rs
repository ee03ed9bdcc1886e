//! Health of the objects that route traffic: Service and Ingress. Both wait for an address from
//! a load balancer; a Service of any type other than LoadBalancer has nothing to wait for.

use serde_json::Value;

use super::Health;
use crate::sync::object::{items_at, str_at};

fn has_load_balancer_address(obj: &Value) -> bool {
    !items_at(obj, &["status", "loadBalancer", "ingress"]).is_empty()
}

pub(super) fn service(obj: &Value) -> Health {
    if str_at(obj, &["spec", "type"]) == Some("LoadBalancer") && !has_load_balancer_address(obj) {
        return Health::progressing("Waiting for the load balancer to assign an address");
    }
    Health::healthy()
}

pub(super) fn ingress(obj: &Value) -> Health {
    if has_load_balancer_address(obj) {
        Health::healthy()
    } else {
        Health::progressing("Waiting for the ingress controller to assign an address")
    }
}
