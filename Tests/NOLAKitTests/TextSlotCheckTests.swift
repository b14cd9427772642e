import Testing
@testable import NOLAKit

@Suite("Slot check: which values a sentence says")
struct TextSlotCheckTests {
    static let mr = MeaningRepresentation([
        .name: "The Lantern", .eatType: "pub", .food: "Italian", .priceRange: "less than £20",
        .customerRating: "high", .familyFriendly: "no", .near: "Kings Bridge",
    ])

    @Test("a faithful sentence has no errors; paraphrases from the lexicon count")
    func faithful() {
        let sentence = "The Lantern is a highly rated pub with prices under £20 near Kings Bridge. It serves Italian food and is not kid friendly."
        #expect(SlotCheck.errors(in: sentence, for: Self.mr) == SlotCheck.Errors(missing: [], added: []))
        let said = SlotCheck.valuesSaid(in: sentence)
        #expect(said[.familyFriendly] == ["no"] && said[.priceRange] == ["less than £20"] && said[.customerRating] == ["high"])
        #expect(said[.area] == nil)
    }

    @Test("missing values and added ones are counted, by attribute")
    func errors() {
        let sentence = "The Lantern is a family-friendly Italian restaurant by the riverside near Kings Bridge."
        let errors = SlotCheck.errors(in: sentence, for: Self.mr)
        #expect(errors.missing == [.eatType, .priceRange, .customerRating, .familyFriendly])
        #expect(errors.added == ["area[riverside]", "eatType[restaurant]", "familyFriendly[yes]"])
        #expect(errors.count == 7)
    }

    @Test("whole words only, any case, and a value the lexicon does not know is found as written")
    func matching() {
        #expect(!SlotCheck.occurs(Array("pub".utf8), in: Array("a public house".utf8), negatable: false))
        #expect(SlotCheck.occurs(Array("pub".utf8), in: Array("a pub, then".utf8), negatable: false))
        #expect(!SlotCheck.occurs(Array("kid friendly".utf8), in: Array("not kid friendly".utf8), negatable: true))
        #expect(SlotCheck.occurs(Array("kid friendly".utf8), in: Array("not kid friendly".utf8), negatable: false))
        let real = MeaningRepresentation([.name: "Blue Spice", .eatType: "coffee shop", .area: "city centre"])
        #expect(SlotCheck.errors(in: "A coffee shop in the City Centre called BLUE SPICE.", for: real).count == 0)
        #expect(SlotCheck.errors(in: "A coffee shop in the city centre.", for: real).missing == [.name])
    }

    @Test("rates sum the errors of many sentences over the MRs' values")
    func rates() {
        let good = "The Lantern is a highly rated pub with prices under £20 near Kings Bridge. It serves Italian food and is not kid friendly."
        let poor = "The Lantern is a family-friendly Italian restaurant by the riverside near Kings Bridge."
        let r = SlotCheck.rates([good, poor], for: [Self.mr, Self.mr])
        #expect(r.values == 14 && r.missing == 4 && r.added == 3)
        #expect(r.valuesBy[.near] == 2 && r.missingBy[.near] == nil && r.missingRate(.near) == 0)
        #expect(r.missingBy[.eatType] == 1 && r.missingRate(.eatType) == 0.5 && r.missingRate(.area) == nil)
        #expect(r.missingBy.values.reduce(0, +) == r.missing)
        #expect(abs(r.missingRate - 4.0 / 14) < 1e-12 && abs(r.addedRate - 3.0 / 14) < 1e-12 && abs(r.errorRate - 0.5) < 1e-12)
        #expect(SlotCheck.rates([], for: []).errorRate == 0)
    }
}
