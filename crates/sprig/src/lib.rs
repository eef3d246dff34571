//! The Sprig template function library (as Helm ships it) over gotmpl values.
