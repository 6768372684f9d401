//! What an encoder's representations hold: sentence features at any layer and their 2-D
//! principal-component projection (the feature-space view), and linear probes of each layer.

pub mod features;
pub mod layer_probes;
pub mod pca;
pub mod probe;
