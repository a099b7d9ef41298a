//! The macro that turns an IANA registry into a Rust type.
//!
//! A registry type has one variant per assigned code point and an
//! `Unknown(raw)` variant, so a value we do not know survives a decode and
//! re-encode unchanged and can still be logged by number.

/// Declares a wire enum over `$repr` with named code points and `Unknown`.
macro_rules! wire_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident: $repr:ty {
            $( $(#[$vmeta:meta])* $variant:ident = $value:literal => $text:literal, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A code point this version does not know, kept as received.
            Unknown($repr),
        }

        impl From<$repr> for $name {
            fn from(raw: $repr) -> Self {
                match raw {
                    $( $value => Self::$variant, )*
                    other => Self::Unknown(other),
                }
            }
        }

        impl From<$name> for $repr {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value, )*
                    $name::Unknown(raw) => raw,
                }
            }
        }

        impl $name {
            /// The registry's name for this code point, if it is known.
            pub fn name(self) -> Option<&'static str> {
                match self {
                    $( Self::$variant => Some($text), )*
                    Self::Unknown(_) => None,
                }
            }

            /// The raw code point.
            pub fn raw(self) -> $repr {
                <$repr>::from(self)
            }
        }

        impl core::fmt::Display for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(text) => f.write_str(text),
                    None => write!(f, "{}({})", stringify!($name), self.raw()),
                }
            }
        }
    };
}

pub(crate) use wire_enum;
