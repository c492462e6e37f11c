//! Enums as the seeds spell them on the wire: one macro for both crates, so every
//! such enum parses, prints, documents and errs the same way.
//!
//! `Variant => "Response"` or `Variant => "Response" | "request"`: responses use
//! the first spelling ([`as_str`]); requests may use either, in any letter case
//! (`"ACTIVE"`, `"aws_api_gateway"`, `"Aws_api_gateway"`); [`request_str`] is the
//! second (the one the seed's requests show), or the first when there is one.
//!
//! [`as_str`]: crate::ImporterType::as_str
//! [`request_str`]: crate::ImporterType::request_str

/// Declares an enum whose variants map to fixed wire strings.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal $(| $req:literal)?),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            #[allow(dead_code)]
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling responses use.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The spelling the seed's requests use (the same as [`Self::as_str`]
            /// unless declared apart).
            #[allow(dead_code)]
            pub fn request_str(self) -> &'static str {
                match self { $($name::$variant => $crate::wire_enum!(@req $wire $(, $req)?)),+ }
            }

            /// Human-readable list of accepted values, for error messages.
            pub fn expected() -> String {
                [$($crate::wire_enum!(@req $wire $(, $req)?)),+].join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                let s = s.trim();
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str().eq_ignore_ascii_case(s) || v.request_str().eq_ignore_ascii_case(s))
                    .ok_or_else(|| format!("unknown value `{s}`, expected one of: {}", Self::expected()))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                s.parse().map_err(::serde::de::Error::custom)
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                let mut values: Vec<&'static str> = Vec::new();
                for v in Self::ALL {
                    for s in [v.as_str(), v.request_str()] {
                        if !values.contains(&s) {
                            values.push(s);
                        }
                    }
                }
                ::utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(::utoipa::openapi::schema::Type::String)
                    .enum_values(Some(values))
                    .description(Some("Any letter case in requests."))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {}
    };
    (@req $wire:literal) => { $wire };
    (@req $wire:literal, $req:literal) => { $req };
}
