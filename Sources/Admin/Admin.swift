// Admin module.
