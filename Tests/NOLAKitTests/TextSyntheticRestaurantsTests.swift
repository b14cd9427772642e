import Testing
@testable import NOLAKit

@Suite("Synthetic restaurants (the embedded E2E-like data)")
struct TextSyntheticRestaurantsTests {
    static let examples = SyntheticRestaurants.generate(
        count: SyntheticRestaurants.devMRCount + SyntheticRestaurants.testMRCount, seed: 1)

    /// FNV-1a over every MR's text and every reference, separated by newlines.
    static func checksum(_ examples: [E2EExample]) -> UInt64 {
        BasisSeeds.fnv1a64(examples.map { ([$0.mr.description] + $0.references).joined(separator: "\n") }.joined(separator: "\n"))
    }

    @Test("known answer: seed 1's first example, and a checksum of the whole default set")
    func knownAnswer() {
        let first = Self.examples[0]
        #expect(first.mr.description == "name[The Red Fox], eatType[pub], priceRange[£20-25], area[city centre], near[Burger Palace]")
        #expect(first.references.first == "There is a pub named The Red Fox with prices of £20-25 located in the city centre. The Red Fox is located near Burger Palace.")
        #expect(Self.checksum(Self.examples) == Self.pinnedChecksum, "checksum \(String(Self.checksum(Self.examples), radix: 16))")
    }

    /// `checksum(examples)` for seed 1, 1,177 MRs; change it only with a deliberate change of the
    /// generator (and say so in the commit).
    static let pinnedChecksum: UInt64 = 0x5150_119a_8720_52ce

    @Test("the same seed gives the same examples; a smaller count is a prefix; another seed differs")
    func determinism() {
        let again = SyntheticRestaurants.generate(count: Self.examples.count, seed: 1)
        #expect(again == Self.examples)
        #expect(SyntheticRestaurants.generate(count: 40, seed: 1) == Array(Self.examples.prefix(40)))
        #expect(SyntheticRestaurants.generate(count: 40, seed: 2) != Array(Self.examples.prefix(40)))
        #expect(SyntheticRestaurants.generate(count: 0, seed: 1).isEmpty)
    }

    @Test("distinct MRs of 3–8 attributes, each with 3–8 different references")
    func shape() {
        #expect(Set(Self.examples.map(\.mr)).count == Self.examples.count)
        for example in Self.examples {
            #expect((3...8).contains(example.mr.count) && example.mr[.name] != nil)
            #expect(SyntheticRestaurants.referenceCounts.contains(example.references.count))
            #expect(Set(example.references).count == example.references.count)
        }
        let counts = Self.examples.map(\.references.count)
        #expect(Set(counts) == Set(3...8))
    }

    @Test("every value of every attribute appears in the default set")
    func everyValueReachable() {
        for attribute in E2EAttribute.allCases {
            let seen = Set(Self.examples.compactMap { $0.mr[attribute] })
            #expect(seen == Set(RestaurantLexicon.values[attribute] ?? []), "\(attribute)")
        }
    }

    @Test("every reference says every value of its MR, and nothing its MR does not have")
    func faithful() {
        var checked = 0
        for example in Self.examples {
            for reference in example.references {
                let errors = SlotCheck.errors(in: reference, for: example.mr)
                #expect(errors.count == 0, "'\(reference)' for \(example.mr): \(errors)")
                if example.mr[.familyFriendly] != "no" { #expect(!reference.contains(" not ")) }
                checked += 1
            }
        }
        #expect(checked > 6000)
    }

    @Test("phrasing varies: sentence openings, number of sentences, and the order values come in")
    func varied() {
        let references = Self.examples.flatMap(\.references)
        var openings: [String: Int] = [:]
        for reference in references { openings[reference.split(separator: " ").prefix(2).joined(separator: " "), default: 0] += 1 }
        let commonest = openings.values.max() ?? 0
        #expect(openings.count > 50 && Double(commonest) < 0.25 * Double(references.count), "\(openings.count) openings, commonest \(commonest)")
        let sentenceCounts = Set(references.map { $0.split(separator: ".").count })
        #expect(sentenceCounts.isSuperset(of: [1, 2, 3]))
        // Among MRs with both, the area is said before the landmark in some references and after in others.
        var before = 0, after = 0
        for example in Self.examples {
            guard let near = example.mr[.near], let area = example.mr[.area] else { continue }
            for reference in example.references {
                guard let n = reference.range(of: near),
                    let a = reference.range(of: area == "city centre" ? "centre" : "riverside")
                else { continue }
                if a.lowerBound < n.lowerBound { before += 1 } else { after += 1 }
            }
        }
        #expect(before > 300 && after > 300, "area before near \(before), after \(after)")
    }

    @Test("thousands of MRs in well under a second")
    func speed() {
        let start = ContinuousClock.now
        let examples = SyntheticRestaurants.generate(count: 3000, seed: 9)
        let elapsed = ContinuousClock.now - start
        #expect(examples.count == 3000)
        #expect(elapsed < .seconds(1), "3,000 MRs took \(elapsed)")
    }
}
