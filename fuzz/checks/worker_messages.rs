//! Fuzz check `worker_messages`: the JSON messages between the page and the worker
//! (`messages::decode` of `ToWorker` and `FromWorker`; a message could come from a stale page or
//! worker version). Contract: no panic; a message that decodes is encoded and decoded back
//! unchanged.

#![allow(dead_code)]

use bertlab_protocol::messages::{decode, encode, FromWorker, Request, ToWorker};
use serde::de::DeserializeOwned;
use serde::Serialize;

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) {
    let Ok(message) = decode::<T>(text) else {
        return;
    };
    let json = encode(&message).expect("a decoded message encodes");
    let back: T = decode(&json).unwrap_or_else(|e| panic!("{e}\n{json}"));
    assert_eq!(back, message, "changed on the way: {json}");
}

pub fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    round_trip::<ToWorker>(&text);
    round_trip::<FromWorker>(&text);
    round_trip::<Request>(&text);
}
