using DataHub.Core.Text;

namespace DataHub.Core.Tests;

public class EnterpriseNameTests
{
    [Theory]
    [InlineData("恒达食品（宿迁）有限公司", "恒达食品(宿迁)有限公司")]
    [InlineData("恒达食品 ( 宿迁 ) 有限公司", "恒达食品(宿迁)有限公司")]
    [InlineData("恒达食品【宿迁】有限公司", "恒达食品(宿迁)有限公司")]
    [InlineData(" 宿迁ａｂｃ科技有限公司 ", "宿迁ABC科技有限公司")]
    [InlineData("", "")]
    public void Variants_of_a_name_normalize_alike(string input, string expected) =>
        Assert.Equal(expected, EnterpriseName.Normalize(input));
}
