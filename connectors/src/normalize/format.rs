//! The `definitionFormat` values of the inventory (seed 001), with the lower-case
//! spelling the upload endpoint takes (`format=openapi3`) and the capitalised one its
//! responses show (`"Openapi3"`).

crate::wire_enum! {
    pub enum DefinitionFormat {
        Openapi3 => "Openapi3" | "openapi3",
        Openapi2 => "Openapi2" | "openapi2",
        Genericapi => "Genericapi" | "genericapi",
        Graphql => "Graphql" | "graphql",
        Grpc => "Grpc" | "grpc",
        Raml => "Raml" | "raml",
        Wsdl => "Wsdl" | "wsdl",
        Wadl => "Wadl" | "wadl",
    }
}
