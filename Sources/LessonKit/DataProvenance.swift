import NOLAKit

extension DigitSplits {
    /// One sentence saying which digits train, validate and test, for a lesson's narration:
    /// "MNIST: 55,000 digits of the 60,000-digit training split train, 5,000 others held out of it
    /// validate, and the accuracy is reported on the 10,000-digit test split", or, without the
    /// training files, that the test split was carved instead (and how to get the real protocol).
    public var provenance: String {
        switch origin {
        case .synthetic(let seed):
            return "Synthetic digits of seed \(seed): \(Format.count(train.count)) train, \(Format.count(validation.count)) "
                + "others validate after every epoch, and the accuracy is reported on \(Format.count(test.count)) more"
        case .mnistTrainingSplit(let testSplitCount):
            return "MNIST: \(Format.count(train.count)) digits of the 60,000-digit training split train, "
                + "\(Format.count(validation.count)) others held out of it validate after every epoch, and the accuracy "
                + "is reported on \(test.count == testSplitCount ? "the" : "\(Format.count(test.count)) digits of the") "
                + "\(Format.count(testSplitCount))-digit test split"
        case .mnistTestSplitOnly(let folder):
            return "MNIST without its training files (only the t10k files are in \(folder)): \(Format.count(train.count)) "
                + "digits of the 10,000-digit test split train, and the other \(Format.count(validation.count)) both validate "
                + "and test; put train-images-idx3-ubyte.gz and train-labels-idx1-ubyte.gz there for the paper's protocol"
        }
    }
}

/// Which MNIST files a lesson's digits came from, for `--data mnist` (nil for the synthetic
/// digits): the training split when `data/mnist` has it, else the test split alone.
public func mnistSplitNote(_ source: DigitSource) -> String? {
    guard case .mnist(let folder) = source else { return nil }
    return MNIST.isPresent(.train, in: folder)
        ? "MNIST: training digits from the 60,000-digit training split, validation digits from the 10,000-digit test split"
        : "MNIST without its training files (only the t10k files are in \(folder)): training and validation digits both "
            + "come from the 10,000-digit test split (8,000 and 2,000 of it); put train-images-idx3-ubyte.gz and "
            + "train-labels-idx1-ubyte.gz there to train on the training split"
}
