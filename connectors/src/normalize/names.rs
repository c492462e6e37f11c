//! Derived operation names, for formats or operations without an id of their own:
//! the method and path in lower case with everything but letters and digits
//! removed, as the inventory shows them (`GET /api/v1/users` → `getapiv1users`).

pub fn derived(method: &str, path: &str) -> String {
    method
        .chars()
        .chain(path.chars())
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_seed_example() {
        assert_eq!(super::derived("GET", "/api/v1/users"), "getapiv1users");
        assert_eq!(super::derived("post", "/pets/{petId}"), "postpetspetid");
    }
}
