//! What an encoder's representations hold: sentence features at any layer and their 2-D
//! principal-component projection (the feature-space view).

pub mod features;
pub mod pca;
