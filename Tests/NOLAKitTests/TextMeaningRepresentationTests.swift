import Testing
@testable import NOLAKit

@Suite("E2E meaning representations")
struct TextMeaningRepresentationTests {
    static let full = "name[The Eagle], eatType[coffee shop], food[French], priceRange[moderate], "
        + "customer rating[3 out of 5], area[riverside], familyFriendly[yes], near[Burger King]"

    @Test("the eight attributes parse, and the canonical text is E2E's own form")
    func parseAll() throws {
        let mr = try MeaningRepresentation(parsing: Self.full)
        #expect(mr.attributes == E2EAttribute.allCases)
        #expect(mr.count == 8)
        #expect(mr[.customerRating] == "3 out of 5" && mr[.near] == "Burger King" && mr[.name] == "The Eagle")
        #expect(mr.description == Self.full)
        #expect(try MeaningRepresentation(parsing: mr.description) == mr)
        #expect(E2EAttribute.allCases.map(\.order) == Array(0..<8))
        #expect(mr.values.count == 8 && MeaningRepresentation(mr.values) == mr)
    }

    @Test("order and spacing do not matter; the canonical text puts E2E's order back")
    func canonical() throws {
        let messy = try MeaningRepresentation(parsing: "  near[ Café Brazil ] ,area[city centre],name[Cotto]")
        #expect(messy.description == "name[Cotto], area[city centre], near[Café Brazil]")
        #expect(messy == MeaningRepresentation([.name: "Cotto", .area: "city centre", .near: "Café Brazil"]))
        #expect(messy.attributes == [.name, .area, .near])
        #expect(messy[.food] == nil)
    }

    @Test("malformed MRs are one line naming the problem", arguments: [
        ("", "empty"),
        ("   ", "empty"),
        ("name[The Eagle", "never closed"),
        ("name[The [Eagle]]", "never closed"),
        ("name[X]]", "expected ','"),
        ("name X", "not attribute[value]"),
        ("cuisine[French]", "unknown attribute 'cuisine'"),
        ("Name[X]", "unknown attribute 'Name'"),
        ("name[]", "empty value"),
        ("name[  ]", "empty value"),
        ("name[X], name[Y]", "appears twice"),
        ("name[X] area[riverside]", "expected ','"),
        ("name[X],", "a comma with no pair"),
        ("name[X], , area[riverside]", "not attribute[value]"),
    ])
    func malformed(text: String, expected: String) {
        do {
            let mr = try MeaningRepresentation(parsing: text)
            Issue.record("accepted \(text.debugDescription) as \(mr)")
        } catch let error as MeaningRepresentationError {
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.hasPrefix("malformed MR \"") && !error.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
