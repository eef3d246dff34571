//! The DKP module model: module.yaml, OpenAPI schemas, values layers and validation, and the module linter.
