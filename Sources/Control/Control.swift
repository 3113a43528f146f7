// Control module.
